// Maximum Packet Size both ways, DISCONNECT session expiry rules.
#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class LimitsTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
};

TEST_F(LimitsTest, InboundPacketOverTheLimitIsDisconnect0x95) {
  fx.config.max_packet_size = 64;
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  // Only the fixed header is sent: the size is refused before the body is buffered.
  c.send_bytes({0x30, 0xC8, 0x01});
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::packet_too_large);
  EXPECT_TRUE(c.closed());
}

TEST_F(LimitsTest, OutboundMessageOverTheClientsMaximumIsDroppedForThatClientOnly) {
  Broker& broker = fx.make();
  TestClient tiny(broker, ProtocolVersion::v5);
  tiny.connect("tiny", true, maximum_packet_size(40));
  tiny.subscribe("t", QoS::at_least_once);
  TestClient big(broker, ProtocolVersion::v5);
  big.connect("big");
  big.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", std::string(100, 'x'), QoS::at_least_once);
  pub.publish("t", "ok", QoS::at_least_once);
  const auto tiny_got = tiny.received_of<protocol::Publish>();
  ASSERT_EQ(tiny_got.size(), 1U);
  EXPECT_EQ(tiny_got[0].payload, "ok");
  EXPECT_EQ(big.received_of<protocol::Publish>().size(), 2U);
  EXPECT_EQ(broker.stats().messages_dropped, 1U);
}

TEST_F(LimitsTest, SessionExpiryCannotBeSetInDisconnectAfterZero) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  protocol::Disconnect disconnect;
  disconnect.properties.session_expiry_interval = 60;
  c.send(disconnect);
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::protocol_error);
  EXPECT_EQ(fx.broker->stats().sessions, 0U);
}

TEST_F(LimitsTest, DisconnectCanShortenTheSessionExpiry) {
  Broker& broker = fx.make();
  TestClient c(broker, ProtocolVersion::v5);
  c.connect("a", false, session_expiry(60));
  protocol::Disconnect disconnect;
  disconnect.properties.session_expiry_interval = 0;
  c.send(disconnect);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(broker.stats().sessions, 0U);
}

TEST_F(LimitsTest, DisconnectMaySetExpiryWhenConnectAskedForItEvenIfTheBrokerGrantedZero) {
  fx.config.max_session_expiry = 0;
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a", false, session_expiry(60));
  protocol::Disconnect disconnect;
  disconnect.properties.session_expiry_interval = 30;
  c.send(disconnect);
  // Not a protocol error: the CONNECT's interval was not zero [MQTT-3.14.2-2].
  EXPECT_TRUE(c.received_of<protocol::Disconnect>().empty());
  EXPECT_TRUE(c.closed());
}

TEST_F(LimitsTest, PartialPacketsAreBufferedUntilComplete) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  protocol::Bytes ping;
  protocol::encode_packet(protocol::Pingreq{}, ProtocolVersion::v5, ping);
  c.send_bytes({ping[0]});
  EXPECT_TRUE(c.received().empty());
  c.send_bytes({ping[1]});
  EXPECT_EQ(c.received_of<protocol::Pingresp>().size(), 1U);
}

}  // namespace
}  // namespace arkmq::core::test
