// Malformed and forbidden input: each case names the rule it breaks and the reason code expected.
#include <gtest/gtest.h>

#include <string>

#include "broker/protocol/codec_test_support.hpp"

namespace arkmq::protocol::test {
namespace {

constexpr auto v311 = ProtocolVersion::v311;
constexpr auto v5 = ProtocolVersion::v5;

struct MalformedCase {
  std::string name;
  ProtocolVersion version;
  Bytes wire;
  ReasonCode expected;
};

void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.name; }

// CONNECT body: protocol name/level, flags, keep alive 0, (v5: properties), then `tail`.
Bytes connect(std::string_view name, std::uint8_t level, std::uint8_t flags, const Bytes& props,
              const Bytes& tail) {
  Bytes body;
  append_string(body, name);
  body.push_back(level);
  body.push_back(flags);
  body.insert(body.end(), {0x00, 0x00});
  body.insert(body.end(), props.begin(), props.end());
  body.insert(body.end(), tail.begin(), tail.end());
  return frame(0x10, body);
}

Bytes client_id(std::string_view id) {
  Bytes out;
  append_string(out, id);
  return out;
}

// PUBLISH QoS 0 to "t" with the given v5 property block.
Bytes publish_with_properties(const Bytes& props) {
  Bytes body;
  append_string(body, "t");
  body.insert(body.end(), props.begin(), props.end());
  return frame(0x30, body);
}

Bytes subscribe(ProtocolVersion version, std::uint16_t packet_id, const Bytes& props,
                std::uint8_t options) {
  Bytes body{static_cast<std::uint8_t>(packet_id >> 8), static_cast<std::uint8_t>(packet_id)};
  if (version == v5) body.insert(body.end(), props.begin(), props.end());
  append_string(body, "a/b");
  body.push_back(options);
  return frame(0x82, body);
}

std::vector<MalformedCase> cases() {
  const auto no_props = bytes({0x00});
  return {
      // Fixed header [MQTT-2.1.3-1], [MQTT-3.3.1-4], [MQTT-3.3.1-2]
      {"PublishWithQos3", v5, bytes({0x36, 0x03, 0x00, 0x01, 't'}), ReasonCode::malformed_packet},
      {"Qos0PublishWithDup", v311, bytes({0x38, 0x03, 0x00, 0x01, 't'}), ReasonCode::malformed_packet},
      {"SubscribeWithFlagsZero", v311, bytes({0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}),
       ReasonCode::malformed_packet},
      {"UnsubscribeWithFlagsZero", v311, bytes({0xA0, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}),
       ReasonCode::malformed_packet},
      {"PubrelWithFlagsZero", v311, bytes({0x60, 0x02, 0x00, 0x01}), ReasonCode::malformed_packet},
      {"PubackWithFlagsSet", v311, bytes({0x42, 0x02, 0x00, 0x01}), ReasonCode::malformed_packet},
      {"PingreqWithFlagsSet", v5, bytes({0xC1, 0x00}), ReasonCode::malformed_packet},
      // CONNECT [MQTT-3.1.2-2], [MQTT-3.1.2-3], [MQTT-3.1.2-13..15], [MQTT-3.1.2-22]
      {"ConnectLevel6", v5, connect("MQTT", 6, 0x02, {}, client_id("c")),
       ReasonCode::unsupported_protocol_version},
      {"ConnectLevel3WithMqttName", v5, connect("MQTT", 3, 0x02, {}, client_id("c")),
       ReasonCode::unsupported_protocol_version},
      {"ConnectUnknownProtocolName", v5, connect("MQTX", 4, 0x02, {}, client_id("c")),
       ReasonCode::unsupported_protocol_version},
      {"ConnectMqisdpLevel4", v5, connect("MQIsdp", 4, 0x02, {}, client_id("c")),
       ReasonCode::unsupported_protocol_version},
      {"ConnectReservedFlagSet", v311, connect("MQTT", 4, 0x03, {}, client_id("c")),
       ReasonCode::malformed_packet},
      {"ConnectWillQosWithoutWillFlag", v311, connect("MQTT", 4, 0x0A, {}, client_id("c")),
       ReasonCode::malformed_packet},
      {"ConnectWillRetainWithoutWillFlag", v311, connect("MQTT", 4, 0x22, {}, client_id("c")),
       ReasonCode::malformed_packet},
      {"ConnectWillQos3", v311, connect("MQTT", 4, 0x1E, {}, client_id("c")),
       ReasonCode::malformed_packet},
      {"V311ConnectPasswordWithoutUsername", v311, connect("MQTT", 4, 0x42, {}, client_id("c")),
       ReasonCode::protocol_error},
      {"ConnectUsernameFlagWithoutUsername", v311, connect("MQTT", 4, 0x82, {}, client_id("c")),
       ReasonCode::malformed_packet},
      {"ConnectClientIdWithNul", v311, connect("MQTT", 4, 0x02, {}, bytes({0x00, 0x02, 'a', 0x00})),
       ReasonCode::malformed_packet},
      {"ConnectClientIdOverlongUtf8", v311, connect("MQTT", 4, 0x02, {}, bytes({0x00, 0x02, 0xC0, 0x80})),
       ReasonCode::malformed_packet},
      {"ConnectTrailingGarbage", v311, connect("MQTT", 4, 0x02, {}, bytes({0x00, 0x01, 'c', 0xEE})),
       ReasonCode::malformed_packet},
      {"ConnectTopicAliasPropertyNotAllowed", v5, connect("MQTT", 5, 0x02, bytes({0x03, 0x23, 0x00, 0x01}), client_id("c")),
       ReasonCode::protocol_error},
      {"ConnectDuplicateSessionExpiry", v5,
       connect("MQTT", 5, 0x02, bytes({0x0A, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2}), client_id("c")),
       ReasonCode::protocol_error},
      {"ConnectReceiveMaximumZero", v5, connect("MQTT", 5, 0x02, bytes({0x03, 0x21, 0x00, 0x00}), client_id("c")),
       ReasonCode::protocol_error},
      {"ConnectRequestProblemInformationTwo", v5, connect("MQTT", 5, 0x02, bytes({0x02, 0x17, 0x02}), client_id("c")),
       ReasonCode::protocol_error},
      {"ConnectAuthenticationDataWithoutMethod", v5,
       connect("MQTT", 5, 0x02, bytes({0x04, 0x16, 0x00, 0x01, 'x'}), client_id("c")),
       ReasonCode::protocol_error},
      {"ConnectUnknownPropertyId", v5, connect("MQTT", 5, 0x02, bytes({0x02, 0x05, 0x00}), client_id("c")),
       ReasonCode::malformed_packet},
      {"ConnectPropertyLengthBeyondPacket", v5, connect("MQTT", 5, 0x02, bytes({0x7F}), client_id("c")),
       ReasonCode::malformed_packet},
      // PUBLISH [MQTT-2.2.1-3], [MQTT-1.5.4-1], properties
      {"Qos1PublishWithPacketIdZero", v311, bytes({0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00}),
       ReasonCode::protocol_error},
      {"PublishTopicWithSurrogate", v311, bytes({0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80}),
       ReasonCode::malformed_packet},
      {"PublishTopicLengthBeyondPacket", v311, bytes({0x30, 0x03, 0x00, 0x05, 't'}),
       ReasonCode::malformed_packet},
      {"PublishSessionExpiryNotAllowed", v5, publish_with_properties(bytes({0x05, 0x11, 0, 0, 0, 1})),
       ReasonCode::protocol_error},
      {"PublishDuplicateTopicAlias", v5, publish_with_properties(bytes({0x06, 0x23, 0, 1, 0x23, 0, 2})),
       ReasonCode::protocol_error},
      {"PublishSubscriptionIdentifierZero", v5, publish_with_properties(bytes({0x02, 0x0B, 0x00})),
       ReasonCode::protocol_error},
      {"PublishWithoutPropertyLength", v5, bytes({0x30, 0x03, 0x00, 0x01, 't'}),
       ReasonCode::malformed_packet},
      // SUBSCRIBE / UNSUBSCRIBE [MQTT-3.8.3-2], [MQTT-3.8.3-5], 3.8.3.1
      {"SubscribePacketIdZero", v311, subscribe(v311, 0, {}, 0x01), ReasonCode::protocol_error},
      {"SubscribeWithoutFilters", v311, bytes({0x82, 0x02, 0x00, 0x01}), ReasonCode::protocol_error},
      {"V5SubscribeWithoutFilters", v5, bytes({0x82, 0x03, 0x00, 0x01, 0x00}), ReasonCode::protocol_error},
      {"SubscribeReservedOptionBits", v5, subscribe(v5, 1, no_props, 0x41), ReasonCode::malformed_packet},
      {"V311SubscribeNoLocalBitIsReserved", v311, subscribe(v311, 1, {}, 0x05), ReasonCode::malformed_packet},
      {"V5SubscribeQos3", v5, subscribe(v5, 1, no_props, 0x03), ReasonCode::protocol_error},
      {"V311SubscribeQos3", v311, subscribe(v311, 1, {}, 0x03), ReasonCode::malformed_packet},
      {"SubscribeRetainHandling3", v5, subscribe(v5, 1, no_props, 0x30), ReasonCode::protocol_error},
      {"SubscribeTwoSubscriptionIdentifiers", v5, subscribe(v5, 1, bytes({0x04, 0x0B, 0x01, 0x0B, 0x02}), 0x00),
       ReasonCode::protocol_error},
      {"SubscribeReasonStringNotAllowed", v5, subscribe(v5, 1, bytes({0x04, 0x1F, 0x00, 0x01, 'r'}), 0x00),
       ReasonCode::protocol_error},
      {"SubscribeMissingOptionsByte", v311, bytes({0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}),
       ReasonCode::malformed_packet},
      {"UnsubscribePacketIdZero", v311, bytes({0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, 'a'}),
       ReasonCode::protocol_error},
      {"UnsubscribeWithoutFilters", v311, bytes({0xA2, 0x02, 0x00, 0x01}), ReasonCode::protocol_error},
      // Acknowledgements and control packets
      {"V311PubackWithTrailingByte", v311, bytes({0x40, 0x03, 0x00, 0x01, 0x00}), ReasonCode::malformed_packet},
      {"PubackTruncatedPacketId", v5, bytes({0x40, 0x01, 0x00}), ReasonCode::malformed_packet},
      {"V5PubackUnknownReasonCode", v5, bytes({0x40, 0x03, 0x00, 0x01, 0x05}), ReasonCode::protocol_error},
      {"V5PubrelReasonNotAllowedForPubrel", v5, bytes({0x62, 0x03, 0x00, 0x01, 0x10}),
       ReasonCode::protocol_error},
      {"V311SubackReturnCode3", v311, bytes({0x90, 0x03, 0x00, 0x01, 0x03}), ReasonCode::protocol_error},
      {"V311UnsubackWithPayload", v311, bytes({0xB0, 0x03, 0x00, 0x01, 0x00}), ReasonCode::malformed_packet},
      {"ConnackReservedFlagBits", v311, bytes({0x20, 0x02, 0x02, 0x00}), ReasonCode::malformed_packet},
      {"V311ConnackReturnCode6", v311, bytes({0x20, 0x02, 0x00, 0x06}), ReasonCode::malformed_packet},
      {"PingreqWithBody", v311, bytes({0xC0, 0x01, 0x00}), ReasonCode::malformed_packet},
      {"V311DisconnectWithReasonByte", v311, bytes({0xE0, 0x01, 0x00}), ReasonCode::malformed_packet},
      {"V5DisconnectUnknownReasonCode", v5, bytes({0xE0, 0x01, 0x05}), ReasonCode::protocol_error},
      {"AuthInV311", v311, bytes({0xF0, 0x00}), ReasonCode::malformed_packet},
      {"V5AuthReasonNotAllowed", v5, bytes({0xF0, 0x01, 0x87}), ReasonCode::protocol_error},
      {"PacketTypeZero", v5, bytes({0x00, 0x00}), ReasonCode::malformed_packet},
  };
}

class CodecMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(CodecMalformed, DecodeFailsWithTheSpecificReasonCode) {
  const auto& c = GetParam();
  const auto result = decode(c.wire, c.version);
  ASSERT_FALSE(result.has_value()) << "decoded packet index " << result->index();
  EXPECT_EQ(result.error(), c.expected) << to_string(result.error());
}

INSTANTIATE_TEST_SUITE_P(Cases, CodecMalformed, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(CodecFrameBoundary, FrameShorterThanRemainingLengthIsMalformed) {
  const auto wire = bytes({0x30, 0x05, 0x00, 0x01, 't'});
  EXPECT_EQ(decode(wire, v311).error(), ReasonCode::malformed_packet);
}

TEST(CodecFrameBoundary, FrameLongerThanRemainingLengthIsMalformed) {
  const auto wire = bytes({0xC0, 0x00, 0xC0, 0x00});
  EXPECT_EQ(decode(wire, v311).error(), ReasonCode::malformed_packet);
}

}  // namespace
}  // namespace arkmq::protocol::test
