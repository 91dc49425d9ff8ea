// Helpers shared by the codec unit tests.
// Test-only; single-threaded.
#include "broker/protocol/codec_test_support.hpp"

#include <gtest/gtest.h>

#include "broker/protocol/wire.hpp"

namespace arkmq::protocol::test {

Bytes encode(const Packet& packet, ProtocolVersion version) {
  Bytes out;
  encode_packet(packet, version, out);
  return out;
}

Bytes frame(std::uint8_t first_byte, const Bytes& body) {
  Bytes out;
  ByteSink sink{out};
  sink.u8(first_byte);
  sink.varint(static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

void append_string(Bytes& out, std::string_view text) {
  ByteSink{out}.string(text);
}

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (const int value : values) out.push_back(static_cast<std::uint8_t>(value));
  return out;
}

tl::expected<Packet, ReasonCode> decode(const Bytes& wire, ProtocolVersion version) {
  return decode_packet(ByteView{wire}, version);
}

tl::expected<Packet, ReasonCode> round_trip(const Packet& packet, ProtocolVersion version) {
  const Bytes wire = encode(packet, version);
  EXPECT_EQ(encoded_size(packet, version), wire.size());
  FrameHeader header;
  for (std::size_t n = 0; n < wire.size(); ++n) {
    EXPECT_EQ(peek_frame(ByteView{wire}.first(n), 1u << 20, header), FrameStatus::need_more)
        << "prefix of " << n << " bytes";
  }
  EXPECT_EQ(peek_frame(ByteView{wire}, 1u << 20, header), FrameStatus::complete);
  EXPECT_EQ(header.total_size(), wire.size());
  return decode(wire, version);
}

Properties rich_connect_properties() {
  Properties p;
  p.session_expiry_interval = 3600;
  p.authentication_method = "SCRAM-SHA-256";
  p.authentication_data = std::string("\x00\x01\xFF", 3);
  p.request_problem_information = 0;
  p.request_response_information = 1;
  p.receive_maximum = 100;
  p.topic_alias_maximum = 10;
  p.user_properties = {{"region", "eu"}, {"region", "us"}};
  p.maximum_packet_size = 65536;
  return p;
}

Properties rich_connack_properties() {
  Properties p;
  p.session_expiry_interval = 60;
  p.assigned_client_identifier = "auto-1234";
  p.server_keep_alive = 30;
  p.authentication_method = "SCRAM-SHA-256";
  p.authentication_data = "server-first";
  p.response_information = "resp/";
  p.server_reference = "other:1883";
  p.reason_string = "welcome";
  p.receive_maximum = 20;
  p.topic_alias_maximum = 5;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.user_properties = {{"k", "v"}};
  p.maximum_packet_size = 1u << 20;
  p.wildcard_subscription_available = 1;
  p.subscription_identifier_available = 0;
  p.shared_subscription_available = 1;
  return p;
}

Properties rich_publish_properties() {
  Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 120;
  p.content_type = "application/json";
  p.response_topic = "reply/here";
  p.correlation_data = std::string("\x00\xAB", 2);
  p.subscription_identifiers = {1, 268'435'455};
  p.topic_alias = 3;
  p.user_properties = {{"a", "1"}, {"b", "2"}};
  return p;
}

Properties rich_will_properties() {
  Properties p;
  p.payload_format_indicator = 0;
  p.message_expiry_interval = 10;
  p.content_type = "text/plain";
  p.response_topic = "will/reply";
  p.correlation_data = "cd";
  p.will_delay_interval = 5;
  p.user_properties = {{"will", "yes"}};
  return p;
}

Properties reason_properties() {
  Properties p;
  p.reason_string = "because";
  p.user_properties = {{"trace", "42"}};
  return p;
}

}  // namespace arkmq::protocol::test
