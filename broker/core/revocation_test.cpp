// A permission revoked after the fact still counts: wills are authorized again when they fire,
// and messages queued for an offline session are authorized again when it resumes.
#include <algorithm>

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class Revocation : public ::testing::Test {
 protected:
  void SetUp() override {
    broker = &fx.make();
    watcher = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
    watcher->connect("watcher");
    watcher->subscribe("will/#", QoS::at_least_once);
  }

  std::unique_ptr<TestClient> with_will(const std::string& id, std::uint32_t delay = 0,
                                        std::uint32_t expiry = 0) {
    auto c = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
    protocol::Connect connect;
    connect.client_id = id;
    protocol::Will will;
    will.topic = "will/" + id;
    will.payload = "gone";
    will.qos = QoS::at_least_once;
    if (delay != 0) will.properties.will_delay_interval = delay;
    connect.will = will;
    if (expiry != 0) connect.properties.session_expiry_interval = expiry;
    EXPECT_EQ(c->connect(connect).reason, ReasonCode::success);
    return c;
  }

  std::size_t wills_seen() { return watcher->received_of<protocol::Publish>().size(); }

  BrokerFixture fx;
  Broker* broker = nullptr;
  std::unique_ptr<TestClient> watcher;
};

TEST_F(Revocation, WillDeniedWhenItFiresIsDropped) {
  auto c = with_will("a");
  fx.policy->denied.push_back({Action::publish, "will/a"});
  c->transport_closed();
  EXPECT_EQ(wills_seen(), 0U);
}

TEST_F(Revocation, WillStillAllowedWhenItFiresIsSent) {
  auto c = with_will("a");
  fx.policy->seen_topics.clear();
  c->transport_closed();
  EXPECT_EQ(wills_seen(), 1U);
  // Asked at fire time, not only at CONNECT.
  EXPECT_NE(std::find(fx.policy->seen_topics.begin(), fx.policy->seen_topics.end(), "will/a"),
            fx.policy->seen_topics.end());
}

TEST_F(Revocation, DelayedWillIsAuthorizedWhenTheDelayPasses) {
  auto c = with_will("a", 30, 120);
  c->transport_closed();
  fx.policy->denied.push_back({Action::publish, "will/a"});
  broker->tick(t0() + 31s);
  EXPECT_EQ(wills_seen(), 0U);
}

TEST_F(Revocation, WillOfAnEndingSessionIsAuthorizedToo) {
  auto c = with_will("a", 300, 10);
  c->transport_closed();
  fx.policy->denied.push_back({Action::publish, "will/a"});
  broker->tick(t0() + 11s);  // the session expires before the Will Delay: the will is due now
  EXPECT_EQ(wills_seen(), 0U);
  EXPECT_EQ(broker->stats().sessions, 1U);  // the watcher's
}

TEST_F(Revocation, WillIsAuthorizedForTheSessionsPrincipal) {
  fx.policy->principal = "alice";
  auto c = with_will("a");
  fx.policy->requests_seen.clear();
  fx.policy->seen_topics.clear();
  fx.policy->seen_principals.clear();
  fx.policy->seen_client_ids.clear();
  c->transport_closed();
  // The first question after the close is the will's publish, for the session's principal.
  ASSERT_FALSE(fx.policy->requests_seen.empty());
  EXPECT_EQ(fx.policy->seen_topics[0], "will/a");
  EXPECT_EQ(fx.policy->requests_seen[0].action, Action::publish);
  EXPECT_EQ(fx.policy->seen_principals[0], "alice");
  EXPECT_EQ(fx.policy->seen_client_ids[0], "a");
}

TEST_F(Revocation, QueuedMessagesNoLongerReadableAreDroppedOnResume) {
  {
    TestClient sub(*broker, ProtocolVersion::v5);
    sub.connect("sub", false, session_expiry(60));
    sub.subscribe("data/#", QoS::at_least_once);
    sub.send(protocol::Disconnect{});
  }
  TestClient pub(*broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("data/secret", "1", QoS::at_least_once, false, 1);
  pub.publish("data/open", "2", QoS::at_least_once, false, 2);
  pub.publish("data/secret", "3", QoS::at_least_once, false, 3);
  const std::uint64_t dropped_before = broker->stats().messages_dropped;
  fx.policy->denied.push_back({Action::receive, "data/secret"});

  TestClient sub(*broker, ProtocolVersion::v5);
  EXPECT_TRUE(sub.connect("sub", false, session_expiry(60)).session_present);
  const auto got = sub.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].topic, "data/open");
  EXPECT_EQ(got[0].payload, "2");
  EXPECT_EQ(broker->stats().messages_dropped, dropped_before + 2);
}

TEST_F(Revocation, QueuedMessagesStillReadableAreDeliveredOnResume) {
  {
    TestClient sub(*broker, ProtocolVersion::v311);
    sub.connect("sub", false);
    sub.subscribe("data/#", QoS::at_least_once);
    sub.transport_closed();
  }
  TestClient pub(*broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("data/a", "1", QoS::at_least_once, false, 1);
  pub.publish("data/b", "2", QoS::at_least_once, false, 2);
  TestClient sub(*broker, ProtocolVersion::v311);
  EXPECT_TRUE(sub.connect("sub", false).session_present);
  EXPECT_EQ(sub.received_of<protocol::Publish>().size(), 2U);
}

}  // namespace
}  // namespace arkmq::core::test
