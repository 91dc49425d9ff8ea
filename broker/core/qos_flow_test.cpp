// QoS 1 and 2 in both directions: acks, exactly once, windows, redelivery, queues.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class QosFlowTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
};

// A v5 subscriber to "t" at QoS 2 with Receive Maximum 1, then "1" and "2" published to "t" at
// QoS 2: "1" is in flight to `sub`, "2" waits for the window.
struct TwoQoS2MessagesThroughAWindowOfOne {
  explicit TwoQoS2MessagesThroughAWindowOfOne(Broker& broker)
      : sub(broker, ProtocolVersion::v5), pub(broker, ProtocolVersion::v5) {
    sub.connect("sub", true, receive_maximum(1));
    sub.subscribe("t", QoS::exactly_once);
    pub.connect("pub");
    pub.publish("t", "1", QoS::exactly_once, false, 1);
    pub.publish("t", "2", QoS::exactly_once, false, 2);
  }

  TestClient sub;
  TestClient pub;
};

TEST_F(QosFlowTest, InboundQoS1IsAcknowledgedWithPuback) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  c.subscribe("t", QoS::at_most_once);
  c.publish("t", "x", QoS::at_least_once, false, 42);
  const auto acks = c.received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].packet_id, 42);
  EXPECT_EQ(acks[0].reason, ReasonCode::success);
}

TEST_F(QosFlowTest, InboundQoS2IsRoutedExactlyOnce) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  sub.subscribe("t", QoS::at_most_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "x", QoS::exactly_once, false, 9);
  ASSERT_EQ(pub.received_of<protocol::Pubrec>().size(), 1U);
  // The client resends before PUBREL: acked again, not routed again [MQTT-4.3.3].
  protocol::Publish dup;
  dup.topic = "t";
  dup.payload = "x";
  dup.qos = QoS::exactly_once;
  dup.packet_id = 9;
  dup.dup = true;
  pub.send(dup);
  const auto recs = pub.received_of<protocol::Pubrec>();
  ASSERT_EQ(recs.size(), 1U);
  EXPECT_EQ(recs[0].packet_id, 9);
  pub.send(protocol::Pubrel{9, ReasonCode::success, {}});
  const auto comps = pub.received_of<protocol::Pubcomp>();
  ASSERT_EQ(comps.size(), 1U);
  EXPECT_EQ(comps[0].reason, ReasonCode::success);
  EXPECT_EQ(sub.received_of<protocol::Publish>().size(), 1U);
  // After PUBREL the id is free: the same id is a new message.
  pub.publish("t", "y", QoS::exactly_once, false, 9);
  EXPECT_EQ(sub.received_of<protocol::Publish>().size(), 1U);
}

TEST_F(QosFlowTest, PubrelForUnknownIdIsPubcomp0x92InV5) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  c.send(protocol::Pubrel{77, ReasonCode::success, {}});
  const auto comps = c.received_of<protocol::Pubcomp>();
  ASSERT_EQ(comps.size(), 1U);
  EXPECT_EQ(comps[0].reason, ReasonCode::packet_identifier_not_found);
}

TEST_F(QosFlowTest, ExceedingReceiveMaximumIsDisconnect0x93) {
  fx.config.receive_maximum = 2;
  TestClient c(fx.make(), ProtocolVersion::v5);
  EXPECT_EQ(c.connect("a").properties.receive_maximum, 2);
  c.publish("t", "1", QoS::exactly_once, false, 1);
  c.publish("t", "2", QoS::exactly_once, false, 2);
  EXPECT_FALSE(c.closed());
  c.publish("t", "3", QoS::exactly_once, false, 3);
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::receive_maximum_exceeded);
}

TEST_F(QosFlowTest, OutboundWindowFollowsTheClientsReceiveMaximum) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", true, receive_maximum(2));
  sub.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  for (int i = 0; i < 3; ++i) pub.publish("t", std::to_string(i), QoS::at_least_once, false, 1);
  auto got = sub.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 2U);
  EXPECT_NE(got[0].packet_id, got[1].packet_id);
  sub.send(protocol::Puback{got[0].packet_id, ReasonCode::success, {}});
  auto third = sub.received_of<protocol::Publish>();
  ASSERT_EQ(third.size(), 1U);
  EXPECT_EQ(third[0].payload, "2");
  EXPECT_NE(third[0].packet_id, got[1].packet_id);  // never reused while in flight
}

TEST_F(QosFlowTest, V311UsesTheConfiguredWindow) {
  fx.config.v311_inflight_window = 1;
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v311);
  sub.connect("sub");
  sub.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "1", QoS::at_least_once);
  pub.publish("t", "2", QoS::at_least_once);
  auto got = sub.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  sub.send(protocol::Puback{got[0].packet_id, ReasonCode::success, {}});
  EXPECT_EQ(sub.received_of<protocol::Publish>().size(), 1U);
}

TEST_F(QosFlowTest, OutboundQoS2RunsPubrecPubrelPubcomp) {
  TwoQoS2MessagesThroughAWindowOfOne flow(fx.make());
  TestClient& sub = flow.sub;
  auto got = sub.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].qos, QoS::exactly_once);
  sub.send(protocol::Pubrec{got[0].packet_id, ReasonCode::success, {}});
  const auto rels = sub.received_of<protocol::Pubrel>();
  ASSERT_EQ(rels.size(), 1U);
  EXPECT_EQ(rels[0].packet_id, got[0].packet_id);
  EXPECT_TRUE(sub.received_of<protocol::Publish>().empty());  // window still full
  sub.send(protocol::Pubcomp{got[0].packet_id, ReasonCode::success, {}});
  EXPECT_EQ(sub.received_of<protocol::Publish>().size(), 1U);
}

TEST_F(QosFlowTest, PubrecWithErrorEndsTheFlowAndFreesTheWindow) {
  TwoQoS2MessagesThroughAWindowOfOne flow(fx.make());
  TestClient& sub = flow.sub;
  auto got = sub.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  sub.send(protocol::Pubrec{got[0].packet_id, ReasonCode::quota_exceeded, {}});
  EXPECT_TRUE(sub.received_of<protocol::Pubrel>().empty());
  const auto next = sub.received_of<protocol::Publish>();
  ASSERT_EQ(next.size(), 1U);
  EXPECT_EQ(next[0].payload, "2");
}

TEST_F(QosFlowTest, PubrecForUnknownIdIsAnsweredWithPubrel0x92) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  c.send(protocol::Pubrec{12, ReasonCode::success, {}});
  const auto rels = c.received_of<protocol::Pubrel>();
  ASSERT_EQ(rels.size(), 1U);
  EXPECT_EQ(rels[0].reason, ReasonCode::packet_identifier_not_found);
}

TEST_F(QosFlowTest, AcksForUnknownIdsAreIgnored) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  c.send(protocol::Puback{5, ReasonCode::success, {}});
  c.send(protocol::Pubcomp{6, ReasonCode::success, {}});
  EXPECT_TRUE(c.received().empty());
  EXPECT_FALSE(c.closed());
}

TEST_F(QosFlowTest, UnackedMessagesAreRedeliveredWithDupInOrderOnResume) {
  Broker& broker = fx.make();
  auto sub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  sub->connect("sub", false, receive_maximum(10, 600));
  sub->subscribe("t", QoS::exactly_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "q1", QoS::at_least_once, false, 1);
  pub.publish("t", "q2", QoS::exactly_once, false, 2);
  pub.publish("t", "q2b", QoS::exactly_once, false, 3);
  auto first = sub->received_of<protocol::Publish>();
  ASSERT_EQ(first.size(), 3U);
  sub->send(protocol::Pubrec{first[2].packet_id, ReasonCode::success, {}});  // q2b reaches PUBREL
  sub->transport_closed();
  sub.reset();
  TestClient again(broker, ProtocolVersion::v5);
  EXPECT_TRUE(again.connect("sub", false, receive_maximum(10, 600)).session_present);
  const auto packets = again.received();
  ASSERT_EQ(packets.size(), 3U);
  const auto p1 = publish_of(packets[0]);
  const auto p2 = publish_of(packets[1]);
  EXPECT_EQ(p1.payload, "q1");
  EXPECT_TRUE(p1.dup);
  EXPECT_EQ(p1.packet_id, first[0].packet_id);
  EXPECT_EQ(p2.payload, "q2");
  EXPECT_TRUE(p2.dup);
  const auto* rel = std::get_if<protocol::Pubrel>(&packets[2]);
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->packet_id, first[2].packet_id);
}

TEST_F(QosFlowTest, OfflineQueueIsBoundedAndDropsAreCounted) {
  fx.config.max_queued_messages = 2;
  Broker& broker = fx.make();
  {
    TestClient sub(broker, ProtocolVersion::v5);
    sub.connect("sub", false, receive_maximum(100, 600));
    sub.subscribe("t", QoS::at_least_once);
    sub.send(protocol::Disconnect{});
  }
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "zero", QoS::at_most_once);  // QoS 0 is not queued offline
  for (int i = 0; i < 3; ++i) pub.publish("t", std::to_string(i), QoS::at_least_once, false, 1);
  EXPECT_EQ(broker.stats().messages_dropped, 1U);
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", false, receive_maximum(100, 600));
  const auto got = sub.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].payload, "0");
  EXPECT_EQ(got[1].payload, "1");
  EXPECT_FALSE(got[0].dup);
}

TEST_F(QosFlowTest, SlowConsumerLosesQoS0ButNotQoS1) {
  fx.config.max_link_buffer_bytes = 1000;
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  sub.subscribe("t", QoS::at_least_once);
  sub.link().set_queued_bytes(5000);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "lost");
  pub.publish("t", "kept", QoS::at_least_once);
  const auto got = sub.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "kept");
  EXPECT_EQ(broker.stats().messages_dropped, 1U);
}

TEST_F(QosFlowTest, PacketIdsAreUniqueAcrossTheWindow) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  sub.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  for (int i = 0; i < 50; ++i) pub.publish("t", "x", QoS::at_least_once);
  std::set<std::uint16_t> ids;
  for (const auto& p : sub.received_of<protocol::Publish>()) ids.insert(p.packet_id);
  EXPECT_EQ(ids.size(), 50U);
  EXPECT_EQ(ids.count(0), 0U);
}

}  // namespace
}  // namespace arkmq::core::test
