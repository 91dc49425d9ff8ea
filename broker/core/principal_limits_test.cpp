// Flow-control limits per principal besides the publish rate: subscriptions, connections,
// Receive Maximum, Maximum Packet Size, session queues and retained messages.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/core/quota_test_fixture.hpp"

namespace arkmq::core::test {
namespace {

class PrincipalLimitsTest : public QuotaFixture {};

TEST_F(PrincipalLimitsTest, SubscriptionsBeyondTheMaximumGetSuback0x97) {
  ClientLimits own;
  own.max_subscriptions = 2;
  limits->set("sensor", own);
  Broker& broker = make();
  auto c = client(broker, "sensor", "c");
  EXPECT_EQ(c->subscribe("a", QoS::at_most_once), std::vector<ReasonCode>{ReasonCode::success});
  EXPECT_EQ(c->subscribe("b", QoS::at_most_once), std::vector<ReasonCode>{ReasonCode::success});
  EXPECT_EQ(c->subscribe("c", QoS::at_most_once),
            std::vector<ReasonCode>{ReasonCode::quota_exceeded});
  // Replacing a subscription the session holds is not a new one.
  EXPECT_EQ(c->subscribe("a", QoS::at_least_once),
            std::vector<ReasonCode>{ReasonCode::granted_qos_1});
  EXPECT_EQ(value(counters().refused_subscriptions), 1U);
  EXPECT_EQ(events->count(QuotaKind::subscriptions), 1U);
}

TEST_F(PrincipalLimitsTest, V311SubscriptionsBeyondTheMaximumGetSuback0x80) {
  ClientLimits own;
  own.max_subscriptions = 1;
  limits->set("sensor", own);
  Broker& broker = make();
  auto c = client(broker, "sensor", "c", ProtocolVersion::v311);
  c->subscribe("a", QoS::at_most_once);
  EXPECT_EQ(c->subscribe("b", QoS::at_most_once),
            std::vector<ReasonCode>{ReasonCode::unspecified_error});
}

TEST_F(PrincipalLimitsTest, ConnectionsBeyondTheMaximumGetConnack0x97) {
  ClientLimits own;
  own.max_connections = 1;
  limits->set("sensor", own);
  Broker& broker = make();
  auto first = client(broker, "sensor", "first");
  TestClient second(broker, ProtocolVersion::v5);
  EXPECT_EQ(second.connect("second").reason, ReasonCode::quota_exceeded);
  EXPECT_TRUE(second.closed());
  EXPECT_EQ(value(counters().refused_connections), 1U);
  EXPECT_EQ(events->count(QuotaKind::connections), 1U);
  // Other principals are not affected, and a takeover of the same client id is not a new one.
  auto third = client(broker, "other", "third");
  auto again = client(broker, "sensor", "first");
  // The old connection's late close does not free the slot its successor holds.
  first->transport_closed();
  fx.policy->principal = "sensor";
  TestClient fourth(broker, ProtocolVersion::v5);
  EXPECT_EQ(fourth.connect("fourth").reason, ReasonCode::quota_exceeded);
}

TEST_F(PrincipalLimitsTest, AConnectionSlotIsFreedWhenTheClientLeaves) {
  ClientLimits own;
  own.max_connections = 1;
  limits->set("sensor", own);
  Broker& broker = make();
  auto first = client(broker, "sensor", "first");
  first->send(protocol::Disconnect{});
  first->transport_closed();
  client(broker, "sensor", "second");
}

TEST_F(PrincipalLimitsTest, V311ConnectionsBeyondTheMaximumGetServerUnavailable) {
  ClientLimits own;
  own.max_connections = 1;
  limits->set("sensor", own);
  Broker& broker = make();
  auto first = client(broker, "sensor", "first", ProtocolVersion::v311);
  TestClient second(broker, ProtocolVersion::v311);
  EXPECT_EQ(second.connect("second").reason, ReasonCode::server_unavailable);
}

TEST_F(PrincipalLimitsTest, ConnackAnnouncesThePrincipalsReceiveMaximumAndPacketSize) {
  fx.config.max_packet_size = 100000;
  fx.config.receive_maximum = 100;
  ClientLimits own;
  own.receive_maximum = 5;
  own.max_packet_size = 2000;
  limits->set("sensor", own);
  ClientLimits generous;
  generous.receive_maximum = 1000;
  generous.max_packet_size = 1000000;
  limits->set("big", generous);
  Broker& broker = make();
  fx.policy->principal = "sensor";
  TestClient c(broker, ProtocolVersion::v5);
  const protocol::Connack connack = c.connect("c");
  EXPECT_EQ(connack.properties.receive_maximum, std::optional<std::uint16_t>(5));
  EXPECT_EQ(connack.properties.maximum_packet_size, std::optional<std::uint32_t>(2000));
  // The broker-wide bound wins where it is tighter.
  fx.policy->principal = "big";
  TestClient b(broker, ProtocolVersion::v5);
  const protocol::Connack big = b.connect("b");
  EXPECT_EQ(big.properties.receive_maximum, std::optional<std::uint16_t>(100));
  EXPECT_EQ(big.properties.maximum_packet_size, std::optional<std::uint32_t>(100000));
}

TEST_F(PrincipalLimitsTest, TheReceiveMaximumIsEnforcedForQos2) {
  ClientLimits own;
  own.receive_maximum = 1;
  limits->set("sensor", own);
  Broker& broker = make();
  auto c = client(broker, "sensor", "c");
  c->publish("t", "m", QoS::exactly_once, false, 1);
  c->publish("t", "m", QoS::exactly_once, false, 2);  // no PUBREL for 1 yet
  const auto disconnects = c->received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::receive_maximum_exceeded);
  EXPECT_EQ(events->count(QuotaKind::receive_maximum), 1U);
}

TEST_F(PrincipalLimitsTest, WithoutAProviderOnlyTheBrokerWideBoundsApply) {
  fx.config.receive_maximum = 10;
  Broker& broker = fx.make();  // no set_limits_provider
  TestClient c(broker, ProtocolVersion::v5);
  const protocol::Connack connack = c.connect("c");
  EXPECT_EQ(connack.properties.receive_maximum, std::optional<std::uint16_t>(10));
  for (std::uint16_t id = 1; id <= 20; ++id) c.publish("t", "m", QoS::at_least_once, false, id);
  for (const ReasonCode reason : puback_reasons(c)) {
    EXPECT_EQ(reason, ReasonCode::no_matching_subscribers);
  }
}

TEST_F(PrincipalLimitsTest, AnExpiredRetainedMessageNoLongerCountsAgainstThePrincipal) {
  ClientLimits own;
  own.max_retained = 1;
  limits->set("sensor", own);
  Broker& broker = make();
  auto pub = client(broker, "sensor", "pub");
  protocol::Properties expiring;
  expiring.message_expiry_interval = 1;
  pub->publish("a", "1", QoS::at_least_once, true, 1, expiring);
  pub->advance(2s);
  broker.tick(pub->now());  // removes the expired retained message
  pub->publish("b", "1", QoS::at_least_once, true, 2);
  const auto reasons = puback_reasons(*pub);
  ASSERT_EQ(reasons.size(), 2U);
  EXPECT_EQ(reasons[1], ReasonCode::no_matching_subscribers);
}

TEST_F(PrincipalLimitsTest, APacketOverThePrincipalsMaximumIsDisconnect0x95) {
  ClientLimits own;
  own.max_packet_size = 64;
  limits->set("sensor", own);
  Broker& broker = make();
  auto c = client(broker, "sensor", "c");
  c->publish("t", std::string(100, 'x'));
  const auto disconnects = c->received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::packet_too_large);
  EXPECT_EQ(events->count(QuotaKind::packet_size), 1U);
  // Another principal is held to the broker-wide limit only.
  auto other = client(broker, "other", "o");
  other->publish("t", std::string(100, 'x'));
  EXPECT_FALSE(other->closed());
}

TEST_F(PrincipalLimitsTest, QueueLimitsFollowTheSubscribersPrincipal) {
  ClientLimits own;
  own.max_queued_messages = 2;
  limits->set("slow", own);
  Broker& broker = make();
  auto limited = client(broker, "slow", "limited", ProtocolVersion::v5, true, session_expiry(600));
  limited->subscribe("t", QoS::at_least_once);
  auto unlimited = client(broker, "fast", "unlimited", ProtocolVersion::v5, true, session_expiry(600));
  unlimited->subscribe("t", QoS::at_least_once);
  limited->send(protocol::Disconnect{});
  limited->transport_closed();
  unlimited->send(protocol::Disconnect{});
  unlimited->transport_closed();
  auto pub = client(broker, "writer", "pub");
  for (std::uint16_t id = 1; id <= 5; ++id) pub->publish("t", "m", QoS::at_least_once, false, id);
  auto limited_again = client(broker, "slow", "limited", ProtocolVersion::v5, false, session_expiry(600));
  EXPECT_EQ(limited_again->received_of<protocol::Publish>().size(), 2U);
  auto unlimited_again =
      client(broker, "fast", "unlimited", ProtocolVersion::v5, false, session_expiry(600));
  EXPECT_EQ(unlimited_again->received_of<protocol::Publish>().size(), 5U);
  EXPECT_EQ(value(counters().queue_dropped), 3U);
  EXPECT_EQ(events->count(QuotaKind::queue), 3U);
}

TEST_F(PrincipalLimitsTest, RetainedMessagesBeyondThePrincipalsMaximumAreNotStored) {
  ClientLimits own;
  own.max_retained = 1;
  limits->set("sensor", own);
  Broker& broker = make();
  auto pub = client(broker, "sensor", "pub");
  pub->publish("a", "1", QoS::at_least_once, true, 1);
  pub->publish("b", "1", QoS::at_least_once, true, 2);  // a second topic: refused
  pub->publish("a", "2", QoS::at_least_once, true, 3);  // replacing its own: fine
  EXPECT_EQ(puback_reasons(*pub), (std::vector<ReasonCode>{ReasonCode::no_matching_subscribers,
                                                           ReasonCode::quota_exceeded,
                                                           ReasonCode::no_matching_subscribers}));
  auto sub = client(broker, "reader", "sub");
  sub->subscribe("#", QoS::at_least_once);
  const auto retained = sub->received_of<protocol::Publish>();
  ASSERT_EQ(retained.size(), 1U);
  EXPECT_EQ(retained[0].topic, "a");
  EXPECT_EQ(retained[0].payload, "2");
  EXPECT_EQ(value(counters().retained_refused), 1U);
  // Clearing its message frees the slot.
  pub->publish("a", "", QoS::at_least_once, true, 4);
  pub->publish("b", "1", QoS::at_least_once, true, 5);
  const auto reasons = puback_reasons(*pub);
  ASSERT_EQ(reasons.size(), 2U);
  EXPECT_EQ(reasons[1], ReasonCode::success);  // "sub" matches "#"
}

TEST_F(PrincipalLimitsTest, V311RetainedBeyondTheMaximumIsRoutedButNotStored) {
  ClientLimits own;
  own.max_retained_bytes = 10;
  limits->set("sensor", own);
  Broker& broker = make();
  auto sub = client(broker, "reader", "sub");
  sub->subscribe("#", QoS::at_most_once);
  auto pub = client(broker, "sensor", "pub", ProtocolVersion::v311);
  pub->publish("a", "12345678901234567890", QoS::at_most_once, true);
  EXPECT_EQ(sub->received_of<protocol::Publish>().size(), 1U);
  auto late = client(broker, "reader", "late");
  late->subscribe("#", QoS::at_most_once);
  EXPECT_TRUE(late->received_of<protocol::Publish>().empty());
  EXPECT_EQ(events->count(QuotaKind::retained), 1U);
}

}  // namespace
}  // namespace arkmq::core::test
