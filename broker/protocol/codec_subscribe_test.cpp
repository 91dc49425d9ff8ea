// SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK codec tests: round trips and golden bytes.
#include <gtest/gtest.h>

#include "broker/protocol/codec_test_support.hpp"

namespace arkmq::protocol::test {
namespace {

TEST(CodecSubscribe, V311SubscribeRoundTrips) {
  Subscribe s;
  s.packet_id = 10;
  s.subscriptions = {{"a/+/c", {QoS::at_least_once}}, {"#", {QoS::exactly_once}},
                     {"x", {QoS::at_most_once}}};
  EXPECT_EQ(round_trip(s, ProtocolVersion::v311), Packet{s});
}

TEST(CodecSubscribe, V5SubscribeWithEveryOptionAndPropertiesRoundTrips) {
  Subscribe s;
  s.packet_id = 65535;
  s.subscriptions = {{"$share/g/a/#", {QoS::exactly_once, true, true, 2}},
                     {"b", {QoS::at_least_once, false, true, 1}},
                     {"c", {QoS::at_most_once, true, false, 0}}};
  s.properties.subscription_identifiers = {268'435'455};
  s.properties.user_properties = {{"u", "v"}, {"u", "w"}};
  EXPECT_EQ(round_trip(s, ProtocolVersion::v5), Packet{s});
}

// Hand-derived from spec 3.8: packet id 1, "a/b" at QoS 1; v5 adds Property Length 0.
TEST(CodecSubscribe, SubscribeMatchesGoldenBytes) {
  Subscribe s;
  s.packet_id = 1;
  s.subscriptions = {{"a/b", {QoS::at_least_once}}};
  const auto v311 = bytes({0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 'a', '/', 'b', 0x01});
  const auto v5 = bytes({0x82, 0x09, 0x00, 0x01, 0x00, 0x00, 0x03, 'a', '/', 'b', 0x01});
  EXPECT_EQ(encode(s, ProtocolVersion::v311), v311);
  EXPECT_EQ(encode(s, ProtocolVersion::v5), v5);
  EXPECT_EQ(decode(v311, ProtocolVersion::v311), Packet{s});
}

TEST(CodecSuback, V311SubackRoundTrips) {
  Suback s{5, {ReasonCode::success, ReasonCode::granted_qos_1, ReasonCode::granted_qos_2,
               ReasonCode::unspecified_error}, {}};
  EXPECT_EQ(round_trip(s, ProtocolVersion::v311), Packet{s});
}

TEST(CodecSuback, V5SubackWithPropertiesRoundTrips) {
  Suback s{5, {ReasonCode::granted_qos_2, ReasonCode::not_authorized,
               ReasonCode::shared_subscriptions_not_supported}, reason_properties()};
  EXPECT_EQ(round_trip(s, ProtocolVersion::v5), Packet{s});
}

// Spec 3.9.3 return codes: 0x01 granted QoS 1, 0x80 failure.
TEST(CodecSuback, SubackMatchesGoldenBytes) {
  const Suback s{1, {ReasonCode::granted_qos_1, ReasonCode::unspecified_error}, {}};
  EXPECT_EQ(encode(s, ProtocolVersion::v311), bytes({0x90, 0x04, 0x00, 0x01, 0x01, 0x80}));
  EXPECT_EQ(encode(s, ProtocolVersion::v5), bytes({0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x80}));
}

TEST(CodecSuback, V311SubackMapsEveryV5ErrorToFailure) {
  const Suback s{1, {ReasonCode::not_authorized, ReasonCode::quota_exceeded}, {}};
  EXPECT_EQ(encode(s, ProtocolVersion::v311), bytes({0x90, 0x04, 0x00, 0x01, 0x80, 0x80}));
}

TEST(CodecUnsubscribe, UnsubscribeRoundTripsInBothVersions) {
  Unsubscribe u{3, {"a/b", "c/#", "$share/g/d"}, {}};
  EXPECT_EQ(round_trip(u, ProtocolVersion::v311), Packet{u});
  u.properties.user_properties = {{"why", "done"}};
  EXPECT_EQ(round_trip(u, ProtocolVersion::v5), Packet{u});
}

TEST(CodecUnsuback, V5UnsubackRoundTrips) {
  const Unsuback u{3, {ReasonCode::success, ReasonCode::no_subscription_existed},
                   reason_properties()};
  EXPECT_EQ(round_trip(u, ProtocolVersion::v5), Packet{u});
}

TEST(CodecUnsuback, V311UnsubackHasNoPayload) {
  const Unsuback u{3, {ReasonCode::success}, {}};
  const auto golden = bytes({0xB0, 0x02, 0x00, 0x03});
  EXPECT_EQ(encode(u, ProtocolVersion::v311), golden);
  const Packet bare = Unsuback{3, {}, {}};
  EXPECT_EQ(decode(golden, ProtocolVersion::v311), bare);
  EXPECT_EQ(round_trip(bare, ProtocolVersion::v311), bare);
}

}  // namespace
}  // namespace arkmq::protocol::test
