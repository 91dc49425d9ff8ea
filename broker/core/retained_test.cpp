// Retained messages through the broker: set, replace, clear, flags, Retain Handling, expiry.
#include <gtest/gtest.h>

#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class RetainedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker = &fx.make();
    pub = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
    pub->connect("pub");
  }
  std::vector<protocol::Publish> subscribe_fresh(const std::string& id, const std::string& filter,
                                                 protocol::SubscriptionOptions options = {}) {
    clients.push_back(std::make_unique<TestClient>(*broker, ProtocolVersion::v5));
    clients.back()->connect(id);
    clients.back()->subscribe(filter, QoS::at_least_once, {}, options);
    return clients.back()->received_of<protocol::Publish>();
  }

  BrokerFixture fx;
  Broker* broker = nullptr;
  std::unique_ptr<TestClient> pub;
  std::vector<std::unique_ptr<TestClient>> clients;
};

TEST_F(RetainedTest, NewSubscriberGetsTheRetainedMessageWithRetainSet) {
  pub->publish("s/1", "on", QoS::at_least_once, true);
  const auto got = subscribe_fresh("a", "s/#");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_TRUE(got[0].retain);
  EXPECT_EQ(got[0].payload, "on");
  EXPECT_EQ(got[0].qos, QoS::at_least_once);
  EXPECT_EQ(broker->stats().retained_messages, 1U);
}

TEST_F(RetainedTest, LiveDeliveryClearsRetainUnlessRetainAsPublished) {
  subscribe_fresh("plain", "s/#");
  protocol::SubscriptionOptions rap;
  rap.retain_as_published = true;
  subscribe_fresh("rap", "s/#", rap);
  pub->publish("s/1", "on", QoS::at_most_once, true);
  const auto plain = clients[0]->received_of<protocol::Publish>();
  const auto kept = clients[1]->received_of<protocol::Publish>();
  ASSERT_EQ(plain.size(), 1U);
  ASSERT_EQ(kept.size(), 1U);
  EXPECT_FALSE(plain[0].retain);  // [MQTT-3.3.1-12]
  EXPECT_TRUE(kept[0].retain);    // [MQTT-3.3.1-13]
}

TEST_F(RetainedTest, NewerMessageReplacesAndEmptyPayloadClears) {
  pub->publish("s/1", "a", QoS::at_most_once, true);
  pub->publish("s/1", "b", QoS::at_most_once, true);
  auto got = subscribe_fresh("x", "s/1");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "b");
  pub->publish("s/1", "", QoS::at_most_once, true);
  // The clearing message still reaches current subscribers.
  const auto live = clients[0]->received_of<protocol::Publish>();
  ASSERT_EQ(live.size(), 1U);
  EXPECT_TRUE(live[0].payload.empty());
  EXPECT_TRUE(subscribe_fresh("y", "s/1").empty());
  EXPECT_EQ(broker->stats().retained_messages, 0U);
}

TEST_F(RetainedTest, RetainHandlingControlsDeliveryOnSubscribe) {
  pub->publish("s/1", "on", QoS::at_most_once, true);
  protocol::SubscriptionOptions if_new;
  if_new.retain_handling = 1;
  EXPECT_EQ(subscribe_fresh("one", "s/1", if_new).size(), 1U);
  clients[0]->subscribe("s/1", QoS::at_least_once, {}, if_new);  // already exists
  EXPECT_TRUE(clients[0]->received_of<protocol::Publish>().empty());
  protocol::SubscriptionOptions never;
  never.retain_handling = 2;
  EXPECT_TRUE(subscribe_fresh("two", "s/1", never).empty());
  clients[1]->subscribe("s/1", QoS::at_least_once);  // handling 0: always, even when existing
  EXPECT_EQ(clients[1]->received_of<protocol::Publish>().size(), 1U);
}

TEST_F(RetainedTest, SharedSubscriptionGetsNoRetainedMessages) {
  pub->publish("s/1", "on", QoS::at_most_once, true);
  EXPECT_TRUE(subscribe_fresh("a", "$share/g/s/1").empty());
}

TEST_F(RetainedTest, ExpiredRetainedMessageIsNotDelivered) {
  protocol::Properties p;
  p.message_expiry_interval = 10;
  pub->publish("s/1", "on", QoS::at_most_once, true, 0, p);
  clients.push_back(std::make_unique<TestClient>(*broker, ProtocolVersion::v5, t0() + 4s));
  clients.back()->set_now(t0() + 4s);
  clients.back()->connect("early");
  clients.back()->subscribe("s/1");
  const auto early = clients.back()->received_of<protocol::Publish>();
  ASSERT_EQ(early.size(), 1U);
  EXPECT_EQ(early[0].properties.message_expiry_interval, 6U);
  clients.push_back(std::make_unique<TestClient>(*broker, ProtocolVersion::v5, t0() + 11s));
  clients.back()->set_now(t0() + 11s);
  clients.back()->connect("late");
  clients.back()->subscribe("s/1");
  EXPECT_TRUE(clients.back()->received_of<protocol::Publish>().empty());
  broker->tick(t0() + 11s);
  EXPECT_EQ(broker->stats().retained_messages, 0U);
}

TEST_F(RetainedTest, RetainedDeliveryIsCheckedWithReceiveAuthorization) {
  fx.policy->denied.push_back({Action::receive, "s/1"});
  pub->publish("s/1", "on", QoS::at_most_once, true);
  pub->publish("s/2", "on", QoS::at_most_once, true);
  const auto got = subscribe_fresh("a", "s/#");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].topic, "s/2");
}

}  // namespace
}  // namespace arkmq::core::test
