// What a v5 client asked of the server's packets: Maximum Packet Size applies to CONNACK,
// DISCONNECT and acks too (Reason String, then User Properties dropped first).
#include <algorithm>

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class PeerLimitsTest : public ::testing::Test {
 protected:
  // Room for the successful CONNACK with its properties, not for a Reason String as well.
  static constexpr std::size_t kRoomForConnack = 20;

  BrokerFixture fx;

  // The largest frame the broker has sent on this client's link.
  static std::size_t largest_frame(TestClient& c) {
    std::size_t largest = 0;
    for (const SharedBytes& bytes : c.link().sent()) largest = std::max(largest, bytes->size());
    return largest;
  }
};

TEST_F(PeerLimitsTest, RefusingConnackDropsItsReasonStringToFitTheClientsMaximumPacketSize) {
  fx.policy->auth_reason = ReasonCode::not_authorized;
  TestClient c(fx.make(), ProtocolVersion::v5);
  const auto connack = c.connect("a", true, maximum_packet_size(16));
  EXPECT_EQ(connack.reason, ReasonCode::not_authorized);
  EXPECT_FALSE(connack.properties.reason_string);  // [MQTT-3.2.2-19]
  EXPECT_LE(largest_frame(c), 16U);
}

TEST_F(PeerLimitsTest, RefusingConnackKeepsItsReasonStringWhenItFits) {
  fx.policy->auth_reason = ReasonCode::not_authorized;
  TestClient c(fx.make(), ProtocolVersion::v5);
  EXPECT_TRUE(c.connect("a", true, maximum_packet_size(1000)).properties.reason_string);
}

TEST_F(PeerLimitsTest, DisconnectForAViolationDropsItsReasonStringToFit) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a", true, maximum_packet_size(kRoomForConnack));
  c.send_bytes({0x20, 0x00});  // a CONNACK from a client: protocol error
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_FALSE(disconnects[0].properties.reason_string);  // [MQTT-3.14.2-3]
  EXPECT_LE(largest_frame(c), kRoomForConnack);
  EXPECT_TRUE(c.closed());
}

TEST_F(PeerLimitsTest, NegativePubackDropsItsReasonStringToFit) {
  fx.policy->denied.push_back({Action::publish, "secret"});
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a", true, maximum_packet_size(kRoomForConnack));
  c.publish("secret", "1", QoS::at_least_once, false, 3);
  const auto acks = c.received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].reason, ReasonCode::not_authorized);
  EXPECT_FALSE(acks[0].properties.reason_string);  // [MQTT-3.4.2-2]
  EXPECT_LE(largest_frame(c), kRoomForConnack);
}

TEST_F(PeerLimitsTest, TheSuccessfulConnackFitsTheRoomTheseTestsLeave) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  EXPECT_EQ(c.connect("a", true, maximum_packet_size(kRoomForConnack)).reason, ReasonCode::success);
  EXPECT_LE(largest_frame(c), kRoomForConnack);
}

TEST_F(PeerLimitsTest, AClientTooSmallForTheSuccessfulConnackIsClosedNotLeftWaiting) {
  Broker& broker = fx.make();
  TestClient c(broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "a";
  connect.properties.maximum_packet_size = 4;  // smaller than any CONNACK with properties
  c.send(connect);
  EXPECT_TRUE(c.link().sent().empty());  // [MQTT-3.1.2-24]
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(broker.stats().clients_connected, 0U);
}

TEST_F(PeerLimitsTest, ShutdownSendsNoDisconnectToAV311Client) {
  Broker& broker = fx.make();
  TestClient c(broker, ProtocolVersion::v311);
  c.connect("a");
  broker.shutdown();
  EXPECT_TRUE(c.received_of<protocol::Disconnect>().empty());
  EXPECT_TRUE(c.closed());
}

}  // namespace
}  // namespace arkmq::core::test
