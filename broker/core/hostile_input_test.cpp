// Hostile peers found by hand against the real broker, replayed without a socket: each one is
// refused on the bytes that give it away, before anything large is buffered.
#include <gtest/gtest.h>

#include "broker/core/test_support/test_client.hpp"
#include "broker/protocol/codec.hpp"

namespace arkmq::core::test {
namespace {

class HostileInput : public ::testing::Test {
 protected:
  BrokerFixture fx;
};

TEST_F(HostileInput, FirstByteOfAnotherPacketTypeClosesBeforeTheFrameIsComplete) {
  // A PUBLISH header announcing ~1 MiB: before the fix the broker buffered it until the
  // connect deadline [MQTT-3.1.0-1].
  TestClient c(fx.make(), ProtocolVersion::v311);
  c.send_bytes({0x30});
  EXPECT_TRUE(c.closed());
  EXPECT_TRUE(c.link().sent().empty());
}

TEST_F(HostileInput, ConnectAnnouncing256MiBIsRefusedOnTheFixedHeader) {
  TestClient c(fx.make(), ProtocolVersion::v311);
  c.send_bytes({0x10, 0xFF, 0xFF, 0xFF, 0x7F});  // remaining length 256 MiB - 1, the maximum
  EXPECT_TRUE(c.closed());
}

TEST_F(HostileInput, PublishAnnouncing256MiBAfterConnectIsDisconnect0x95) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  ASSERT_EQ(c.connect("big").reason, ReasonCode::success);
  c.send_bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F});
  EXPECT_TRUE(c.closed());
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects.front().reason, ReasonCode::packet_too_large);
}

TEST_F(HostileInput, ConnectTrickledOneByteASecondIsCutAtTheConnectDeadline) {
  fx.config.connect_timeout = std::chrono::seconds(10);
  TestClient c(fx.make(), ProtocolVersion::v311);
  protocol::Connect connect;
  connect.version = ProtocolVersion::v311;
  connect.client_id = "slowloris-with-a-long-client-identifier";
  protocol::Bytes bytes;
  protocol::encode_packet(connect, ProtocolVersion::v311, bytes);
  ASSERT_GT(bytes.size(), 12U);
  for (std::size_t i = 0; i + 1 < bytes.size() && !c.closed(); ++i) {
    c.set_now(t0() + std::chrono::seconds(i));
    c.send_bytes({bytes[i]});
    c.tick(c.now());
    EXPECT_EQ(c.closed(), i >= 10) << "after byte " << i;
  }
  EXPECT_TRUE(c.closed());
  EXPECT_TRUE(c.link().sent().empty());  // no CONNACK: the CONNECT never completed
}

}  // namespace
}  // namespace arkmq::core::test
