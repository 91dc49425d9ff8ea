// SUBSCRIBE / UNSUBSCRIBE: validation, options, shared groups, identifiers, overlaps.
#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class SubscribeTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
};

TEST_F(SubscribeTest, InvalidFilterIs0x8FInV5And0x80InV311) {
  Broker& broker = fx.make();
  TestClient v5(broker, ProtocolVersion::v5);
  v5.connect("a");
  EXPECT_EQ(v5.subscribe("a/#/b"), std::vector<ReasonCode>{ReasonCode::topic_filter_invalid});
  TestClient v311(broker, ProtocolVersion::v311);
  v311.connect("b");
  EXPECT_EQ(v311.subscribe("a+"), std::vector<ReasonCode>{ReasonCode::unspecified_error});
}

TEST_F(SubscribeTest, EachFilterGetsItsOwnReasonCode) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  c.send(protocol::Subscribe{3,
                             {{"ok/1", {QoS::at_least_once}}, {"bad/#/x", {}}, {"ok/2", {QoS::exactly_once}}},
                             {}});
  const auto subacks = c.received_of<protocol::Suback>();
  ASSERT_EQ(subacks.size(), 1U);
  EXPECT_EQ(subacks[0].packet_id, 3);
  EXPECT_EQ(subacks[0].reasons, (std::vector<ReasonCode>{ReasonCode::granted_qos_1,
                                                         ReasonCode::topic_filter_invalid,
                                                         ReasonCode::granted_qos_2}));
}

TEST_F(SubscribeTest, GrantedQoSIsCappedByMaximumQoS) {
  fx.config.maximum_qos = 1;
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  EXPECT_EQ(c.subscribe("t", QoS::exactly_once), std::vector<ReasonCode>{ReasonCode::granted_qos_1});
}

TEST_F(SubscribeTest, DeniedFilterIs0x87InV5And0x80InV311) {
  fx.policy->denied.push_back({Action::subscribe, "secret/#"});
  Broker& broker = fx.make();
  TestClient v5(broker, ProtocolVersion::v5);
  v5.connect("a");
  EXPECT_EQ(v5.subscribe("secret/#"), std::vector<ReasonCode>{ReasonCode::not_authorized});
  TestClient v311(broker, ProtocolVersion::v311);
  v311.connect("b");
  EXPECT_EQ(v311.subscribe("secret/#"), std::vector<ReasonCode>{ReasonCode::unspecified_error});
  EXPECT_EQ(broker.stats().subscriptions, 0U);
}

TEST_F(SubscribeTest, SharedSubscriptionDeliversEachMessageToOneMember) {
  Broker& broker = fx.make();
  TestClient a(broker, ProtocolVersion::v5);
  a.connect("a");
  a.subscribe("$share/g/jobs/#", QoS::at_least_once);
  TestClient b(broker, ProtocolVersion::v5);
  b.connect("b");
  b.subscribe("$share/g/jobs/#", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("jobs/1", "1");
  pub.publish("jobs/2", "2");
  EXPECT_EQ(a.received_of<protocol::Publish>().size(), 1U);
  EXPECT_EQ(b.received_of<protocol::Publish>().size(), 1U);
}

TEST_F(SubscribeTest, NoLocalOnSharedSubscriptionIsAProtocolError) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  protocol::SubscriptionOptions options;
  options.no_local = true;
  c.send(protocol::Subscribe{1, {{"$share/g/t", options}}, {}});
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::protocol_error);
}

TEST_F(SubscribeTest, UnsupportedFeaturesHaveTheirCodes) {
  fx.config.shared_subscriptions = false;
  fx.config.wildcard_subscriptions = false;
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  EXPECT_EQ(c.subscribe("$share/g/t"),
            std::vector<ReasonCode>{ReasonCode::shared_subscriptions_not_supported});
  EXPECT_EQ(c.subscribe("a/+"),
            std::vector<ReasonCode>{ReasonCode::wildcard_subscriptions_not_supported});
  EXPECT_EQ(c.subscribe("$share//t"), std::vector<ReasonCode>{ReasonCode::topic_filter_invalid});
}

TEST_F(SubscribeTest, SubscriptionIdentifierWhenUnsupportedIsDisconnect0xA1) {
  fx.config.subscription_identifiers = false;
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  c.send(protocol::Subscribe{1, {{"t", {}}}, subscription_identifier(5)});
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::subscription_identifiers_not_supported);
}

TEST_F(SubscribeTest, OverlappingSubscriptionsDeliverOnceWithMaxQoSAndAllIds) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  sub.subscribe("a/+", QoS::at_most_once, subscription_identifier(1));
  sub.subscribe("a/#", QoS::at_least_once, subscription_identifier(2));
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("a/b", "x", QoS::exactly_once);
  const auto got = sub.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].qos, QoS::at_least_once);
  auto ids = got[0].properties.subscription_identifiers;
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{1, 2}));
}

TEST_F(SubscribeTest, NoLocalSuppressesOwnMessages) {
  Broker& broker = fx.make();
  TestClient c(broker, ProtocolVersion::v5);
  c.connect("me");
  protocol::SubscriptionOptions options;
  options.no_local = true;
  c.subscribe("t", QoS::at_most_once, {}, options);
  c.publish("t", "own");
  EXPECT_TRUE(c.received_of<protocol::Publish>().empty());
  TestClient other(broker, ProtocolVersion::v5);
  other.connect("other");
  other.publish("t", "theirs");
  EXPECT_EQ(c.received_of<protocol::Publish>().size(), 1U);
}

TEST_F(SubscribeTest, UnsubscribeReportsWhetherTheSubscriptionExisted) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  c.subscribe("t");
  c.send(protocol::Unsubscribe{4, {"t", "never"}, {}});
  const auto unsubacks = c.received_of<protocol::Unsuback>();
  ASSERT_EQ(unsubacks.size(), 1U);
  EXPECT_EQ(unsubacks[0].packet_id, 4);
  EXPECT_EQ(unsubacks[0].reasons,
            (std::vector<ReasonCode>{ReasonCode::success, ReasonCode::no_subscription_existed}));
  EXPECT_EQ(fx.broker->stats().subscriptions, 0U);
}

TEST_F(SubscribeTest, V311UnsubscribeIsAcknowledged) {
  TestClient c(fx.make(), ProtocolVersion::v311);
  c.connect("a");
  c.subscribe("t");
  c.send(protocol::Unsubscribe{4, {"t"}, {}});
  EXPECT_EQ(c.received_of<protocol::Unsuback>().size(), 1U);
  EXPECT_EQ(fx.broker->stats().subscriptions, 0U);
}

}  // namespace
}  // namespace arkmq::core::test
