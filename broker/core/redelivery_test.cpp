// Redelivery on session resumption under a smaller Receive Maximum [MQTT-3.3.4-9, MQTT-4.4.0-1].
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class RedeliveryTest : public ::testing::Test {
 protected:
  BrokerFixture fx;

  static protocol::Properties persistent(std::uint16_t window) {
    return receive_maximum(window, 600);
  }

  // Connects "sub" with a large window, lets `count` messages of `qos` go unacknowledged, and
  // closes the transport; returns what the first connection received.
  std::vector<protocol::Publish> leave_unacknowledged(Broker& broker, TestClient& pub, int count,
                                                      QoS qos) {
    auto sub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
    sub->connect("sub", false, persistent(100));
    sub->subscribe("t", qos);
    for (int i = 0; i < count; ++i) {
      pub.publish("t", std::to_string(i), qos, false, static_cast<std::uint16_t>(i + 1));
    }
    auto first = sub->received_of<protocol::Publish>();
    EXPECT_EQ(first.size(), static_cast<std::size_t>(count));
    first_connection_ = std::move(sub);
    return first;
  }

  std::unique_ptr<TestClient> first_connection_;
};

TEST_F(RedeliveryTest, ResumeResendsOnlyUpToTheNewReceiveMaximumThenTheRestAsAcksArrive) {
  Broker& broker = fx.make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  const auto first = leave_unacknowledged(broker, pub, 4, QoS::at_least_once);
  first_connection_->transport_closed();
  first_connection_.reset();

  TestClient again(broker, ProtocolVersion::v5);
  EXPECT_TRUE(again.connect("sub", false, persistent(2)).session_present);
  auto resent = again.received_of<protocol::Publish>();
  ASSERT_EQ(resent.size(), 2U);
  EXPECT_EQ(resent[0].packet_id, first[0].packet_id);
  EXPECT_EQ(resent[1].packet_id, first[1].packet_id);
  EXPECT_TRUE(resent[0].dup);

  // A new message waits behind the held-over ones.
  pub.publish("t", "new", QoS::at_least_once, false, 1);
  EXPECT_TRUE(again.received_of<protocol::Publish>().empty());

  again.send(protocol::Puback{resent[0].packet_id, ReasonCode::success, {}});
  auto third = again.received_of<protocol::Publish>();
  ASSERT_EQ(third.size(), 1U);
  EXPECT_EQ(third[0].payload, "2");
  EXPECT_EQ(third[0].packet_id, first[2].packet_id);  // original id [MQTT-4.4.0-1]
  EXPECT_TRUE(third[0].dup);

  again.send(protocol::Puback{resent[1].packet_id, ReasonCode::success, {}});
  again.send(protocol::Puback{third[0].packet_id, ReasonCode::success, {}});
  auto rest = again.received_of<protocol::Publish>();
  ASSERT_EQ(rest.size(), 2U);
  EXPECT_EQ(rest[0].payload, "3");
  EXPECT_TRUE(rest[0].dup);
  EXPECT_EQ(rest[1].payload, "new");
  EXPECT_FALSE(rest[1].dup);
}

TEST_F(RedeliveryTest, PubrecdMessagesGetTheirPubrelAndKeepTheirQuotaUntilPubcomp) {
  Broker& broker = fx.make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  const auto first = leave_unacknowledged(broker, pub, 3, QoS::exactly_once);
  first_connection_->send(protocol::Pubrec{first[0].packet_id, ReasonCode::success, {}});
  first_connection_->transport_closed();
  first_connection_.reset();

  TestClient again(broker, ProtocolVersion::v5);
  EXPECT_TRUE(again.connect("sub", false, persistent(2)).session_present);
  const auto packets = again.received();
  // PUBREL for "0" (still holding one unit of quota [MQTT-4.9.0-3]) and one PUBLISH.
  ASSERT_EQ(packets.size(), 2U);
  const auto* rel = std::get_if<protocol::Pubrel>(&packets[0]);
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->packet_id, first[0].packet_id);
  EXPECT_EQ(publish_of(packets[1]).payload, "1");

  again.send(protocol::Pubcomp{first[0].packet_id, ReasonCode::success, {}});
  auto next = again.received_of<protocol::Publish>();
  ASSERT_EQ(next.size(), 1U);
  EXPECT_EQ(next[0].payload, "2");
  EXPECT_EQ(next[0].packet_id, first[2].packet_id);
}

TEST_F(RedeliveryTest, AHeldOverMessageStillHeldOverAtTheNextResumeIsResentThen) {
  Broker& broker = fx.make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  const auto first = leave_unacknowledged(broker, pub, 3, QoS::at_least_once);
  first_connection_->transport_closed();
  first_connection_.reset();
  {
    TestClient small(broker, ProtocolVersion::v5);
    small.connect("sub", false, persistent(1));
    ASSERT_EQ(small.received_of<protocol::Publish>().size(), 1U);
    small.transport_closed();
  }
  TestClient large(broker, ProtocolVersion::v5);
  large.connect("sub", false, persistent(10));
  const auto resent = large.received_of<protocol::Publish>();
  ASSERT_EQ(resent.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(resent[i].packet_id, first[i].packet_id);
}

TEST_F(RedeliveryTest, AMessageTooLargeForTheNewMaximumPacketSizeIsDiscardedNotResent) {
  Broker& broker = fx.make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  {
    TestClient sub(broker, ProtocolVersion::v5);
    sub.connect("sub", false, persistent(100));
    sub.subscribe("t", QoS::at_least_once);
    pub.publish("t", std::string(200, 'x'), QoS::at_least_once, false, 1);
    pub.publish("t", "small", QoS::at_least_once, false, 2);
    ASSERT_EQ(sub.received_of<protocol::Publish>().size(), 2U);
    sub.transport_closed();
  }
  protocol::Properties small = persistent(1);
  small.maximum_packet_size = 100;
  {
    TestClient again(broker, ProtocolVersion::v5);
    again.connect("sub", false, small);
    const auto resent = again.received_of<protocol::Publish>();
    ASSERT_EQ(resent.size(), 1U);  // the window of 1 is not blocked by the discarded one
    EXPECT_EQ(resent[0].payload, "small");
    for (const SharedBytes& bytes : again.link().sent()) EXPECT_LE(bytes->size(), 100U);
    again.transport_closed();
  }
  TestClient third(broker, ProtocolVersion::v5);
  third.connect("sub", false, persistent(100));
  const auto last = third.received_of<protocol::Publish>();
  ASSERT_EQ(last.size(), 1U);  // [MQTT-3.1.2-25]: discarded as if it had been sent
  EXPECT_EQ(last[0].payload, "small");
}

}  // namespace
}  // namespace arkmq::core::test
