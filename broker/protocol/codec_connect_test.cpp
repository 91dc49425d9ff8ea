// CONNECT / CONNACK codec tests: round trips, golden bytes, version handling.
#include <gtest/gtest.h>

#include "broker/protocol/codec_test_support.hpp"

namespace arkmq::protocol::test {
namespace {

Connect full_connect(ProtocolVersion version) {
  Connect c;
  c.version = version;
  c.clean_start = false;
  c.keep_alive = 300;
  c.client_id = "sensor-\xC3\xA9-42";  // non-ASCII UTF-8
  c.username = "alice";
  c.password = std::string("p\x00w", 3);
  Will will;
  will.topic = "status/sensor-42";
  will.payload = "offline";
  will.qos = QoS::exactly_once;
  will.retain = true;
  if (version == ProtocolVersion::v5) {
    c.properties = rich_connect_properties();
    will.properties = rich_will_properties();
  }
  c.will = will;
  return c;
}

TEST(CodecConnect, MinimalV311ConnectRoundTrips) {
  Connect c;
  c.version = ProtocolVersion::v311;
  c.client_id = "abc";
  EXPECT_EQ(round_trip(c, ProtocolVersion::v311), Packet{c});
}

TEST(CodecConnect, FullV311ConnectRoundTrips) {
  const auto c = full_connect(ProtocolVersion::v311);
  EXPECT_EQ(round_trip(c, ProtocolVersion::v311), Packet{c});
}

TEST(CodecConnect, FullV5ConnectWithAllPropertiesRoundTrips) {
  const auto c = full_connect(ProtocolVersion::v5);
  EXPECT_EQ(round_trip(c, ProtocolVersion::v5), Packet{c});
}

TEST(CodecConnect, V5ConnectWithPasswordButNoUsernameRoundTrips) {
  Connect c;
  c.client_id = "x";
  c.password = "secret";
  EXPECT_EQ(round_trip(c, ProtocolVersion::v5), Packet{c});
}

TEST(CodecConnect, ConnectUsesItsOwnVersionNotTheConnections) {
  Connect c;
  c.version = ProtocolVersion::v311;
  c.client_id = "abc";
  EXPECT_EQ(decode(encode(c, ProtocolVersion::v5), ProtocolVersion::v5), Packet{c});
}

// Hand-derived from spec 3.1 (3.1.1): client "abc", clean session, keep alive 60.
TEST(CodecConnect, V311ConnectMatchesGoldenBytes) {
  Connect c;
  c.version = ProtocolVersion::v311;
  c.keep_alive = 60;
  c.client_id = "abc";
  const auto golden = bytes({0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C,
                             0x00, 0x03, 'a', 'b', 'c'});
  EXPECT_EQ(encode(c, ProtocolVersion::v311), golden);
  EXPECT_EQ(decode(golden, ProtocolVersion::v311), Packet{c});
}

// Variable header from the spec's example (3.1.2.11, flags 0xCE, keep alive 10, session expiry
// 10), with a payload derived from 3.1.3.
TEST(CodecConnect, V5ConnectWithPropertiesMatchesGoldenBytes) {
  const auto golden = bytes({0x10, 0x22, 0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05, 0xCE, 0x00, 0x0A,
                             0x05, 0x11, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x02, 'c',  '1',  0x00, 0x00,
                             0x01, 't',  0x00, 0x01, 'p',  0x00, 0x01, 'u',  0x00, 0x02, 'p',  'w'});
  Connect c;
  c.keep_alive = 10;
  c.client_id = "c1";
  c.properties.session_expiry_interval = 10;
  c.will = Will{"t", "p", QoS::at_least_once, false, {}};
  c.username = "u";
  c.password = "pw";
  EXPECT_EQ(encode(c, ProtocolVersion::v5), golden);
  EXPECT_EQ(decode(golden, ProtocolVersion::v5), Packet{c});
}

TEST(CodecConnect, Mqtt31MqisdpLevel3DecodesAsV311) {
  auto body = bytes({});
  append_string(body, "MQIsdp");
  body.insert(body.end(), {0x03, 0x02, 0x00, 0x3C});
  append_string(body, "old");
  const auto result = decode(frame(0x10, body), ProtocolVersion::v5);
  ASSERT_TRUE(result.has_value());
  const auto& c = std::get<Connect>(*result);
  EXPECT_EQ(c.version, ProtocolVersion::v311);
  EXPECT_EQ(c.client_id, "old");
  EXPECT_EQ(c.keep_alive, 60);
}

TEST(CodecConnack, V311ConnackRoundTripsEveryReturnCode) {
  for (const auto reason : {ReasonCode::success, ReasonCode::unsupported_protocol_version,
                            ReasonCode::client_identifier_not_valid, ReasonCode::server_unavailable,
                            ReasonCode::bad_user_name_or_password, ReasonCode::not_authorized}) {
    Connack c;
    c.reason = reason;
    EXPECT_EQ(round_trip(c, ProtocolVersion::v311), Packet{c}) << to_string(reason);
  }
}

TEST(CodecConnack, V311ConnackMatchesGoldenBytesWithSessionPresent) {
  Connack c;
  c.session_present = true;
  EXPECT_EQ(encode(c, ProtocolVersion::v311), bytes({0x20, 0x02, 0x01, 0x00}));
}

TEST(CodecConnack, V311ConnackMapsV5ReasonToReturnCode) {
  Connack c;
  c.reason = ReasonCode::banned;
  c.properties.reason_string = "dropped for v311";
  EXPECT_EQ(encode(c, ProtocolVersion::v311), bytes({0x20, 0x02, 0x00, 0x05}));
  c.reason = ReasonCode::server_busy;
  EXPECT_EQ(encode(c, ProtocolVersion::v311), bytes({0x20, 0x02, 0x00, 0x03}));
}

TEST(CodecConnack, V5ConnackWithAllPropertiesRoundTrips) {
  Connack c;
  c.session_present = true;
  c.properties = rich_connack_properties();
  EXPECT_EQ(round_trip(c, ProtocolVersion::v5), Packet{c});
}

TEST(CodecConnack, V5ConnackRefusalMatchesGoldenBytes) {
  Connack c;
  c.reason = ReasonCode::not_authorized;
  const auto golden = bytes({0x20, 0x03, 0x00, 0x87, 0x00});
  EXPECT_EQ(encode(c, ProtocolVersion::v5), golden);
  EXPECT_EQ(decode(golden, ProtocolVersion::v5), Packet{c});
}

TEST(CodecConnack, V5ConnackWithoutPropertyLengthDecodesAsNoProperties) {
  EXPECT_EQ(decode(bytes({0x20, 0x02, 0x00, 0x00}), ProtocolVersion::v5), Packet{Connack{}});
}

}  // namespace
}  // namespace arkmq::protocol::test
