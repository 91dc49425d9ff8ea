// PINGREQ / PINGRESP / DISCONNECT / AUTH codec tests.
#include <gtest/gtest.h>

#include "broker/protocol/codec_test_support.hpp"

namespace arkmq::protocol::test {
namespace {

TEST(CodecPing, PingPacketsAreTwoBytesInBothVersions) {
  for (const auto version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    EXPECT_EQ(encode(Pingreq{}, version), bytes({0xC0, 0x00}));
    EXPECT_EQ(encode(Pingresp{}, version), bytes({0xD0, 0x00}));
    EXPECT_EQ(round_trip(Pingreq{}, version), Packet{Pingreq{}});
    EXPECT_EQ(round_trip(Pingresp{}, version), Packet{Pingresp{}});
  }
}

TEST(CodecDisconnect, V311DisconnectHasRemainingLengthZero) {
  const Disconnect d{ReasonCode::server_shutting_down, reason_properties()};
  EXPECT_EQ(encode(d, ProtocolVersion::v311), bytes({0xE0, 0x00}));
  EXPECT_EQ(round_trip(Disconnect{}, ProtocolVersion::v311), Packet{Disconnect{}});
}

TEST(CodecDisconnect, V5SuccessWithoutPropertiesIsTwoBytes) {
  EXPECT_EQ(encode(Disconnect{}, ProtocolVersion::v5), bytes({0xE0, 0x00}));
  EXPECT_EQ(decode(bytes({0xE0, 0x00}), ProtocolVersion::v5), Packet{Disconnect{}});
}

TEST(CodecDisconnect, V5DisconnectRoundTripsInEveryForm) {
  Disconnect reason_only{ReasonCode::disconnect_with_will_message, {}};
  EXPECT_EQ(encode(reason_only, ProtocolVersion::v5), bytes({0xE0, 0x01, 0x04}));
  EXPECT_EQ(round_trip(reason_only, ProtocolVersion::v5), Packet{reason_only});
  Disconnect rich{ReasonCode::server_moved, reason_properties()};
  rich.properties.session_expiry_interval = 0;
  rich.properties.server_reference = "elsewhere:1883";
  EXPECT_EQ(round_trip(rich, ProtocolVersion::v5), Packet{rich});
}

TEST(CodecAuth, AuthRoundTripsInEveryForm) {
  EXPECT_EQ(round_trip(Auth{}, ProtocolVersion::v5), Packet{Auth{}});
  EXPECT_EQ(encode(Auth{}, ProtocolVersion::v5), bytes({0xF0, 0x00}));
  Auth rich{ReasonCode::continue_authentication, reason_properties()};
  rich.properties.authentication_method = "SCRAM-SHA-1";
  rich.properties.authentication_data = std::string("\x01\x00\x02", 3);
  EXPECT_EQ(round_trip(rich, ProtocolVersion::v5), Packet{rich});
}

}  // namespace
}  // namespace arkmq::protocol::test
