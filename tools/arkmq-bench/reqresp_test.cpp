// reqresp building blocks against arkmq_protocol's codec: the in-place PUBLISH scan, the node's
// hand-encoded reply, the callers' call template, the announcement; and reqresp's options.
#include <gtest/gtest.h>

#include <variant>

#include <nlohmann/json.hpp>

#include "broker/protocol/codec.hpp"
#include "tools/arkmq-bench/bench_options.hpp"
#include "tools/arkmq-bench/publish_scan.hpp"
#include "tools/arkmq-bench/service_caller.hpp"
#include "tools/arkmq-bench/service_node.hpp"
#include "tools/arkmq-bench/stamp.hpp"

namespace arkmq::bench {
namespace {

using protocol::ProtocolVersion;

std::vector<std::uint8_t> encode_v5(const protocol::Publish& publish) {
  std::vector<std::uint8_t> bytes;
  protocol::encode_packet(publish, ProtocolVersion::v5, bytes);
  return bytes;
}

std::size_t header_size_of(const std::vector<std::uint8_t>& bytes) {
  protocol::FrameHeader header;
  EXPECT_EQ(protocol::peek_frame(bytes, static_cast<std::uint32_t>(bytes.size()), header),
            protocol::FrameStatus::complete);
  return header.header_size;
}

protocol::Publish decode_publish(const std::vector<std::uint8_t>& bytes) {
  auto packet = protocol::decode_packet(bytes, ProtocolVersion::v5);
  EXPECT_TRUE(packet.has_value());
  if (!packet || !std::holds_alternative<protocol::Publish>(*packet)) return {};
  return std::get<protocol::Publish>(*packet);
}

std::string text(std::span<const std::uint8_t> bytes) { return {bytes.begin(), bytes.end()}; }

TEST(ScanPublishV5, ReadsWhatTheCodecEncodedSkippingOtherProperties) {
  protocol::Publish publish;
  publish.topic = "$svc/node/n1/call/bench/echo";
  publish.payload = "hello";
  publish.qos = protocol::QoS::at_least_once;
  publish.packet_id = 0x1234;
  publish.properties.message_expiry_interval = 9;
  publish.properties.content_type = "text/plain";
  publish.properties.response_topic = "$svc/reply/n1/abc";
  publish.properties.correlation_data = std::string("\0\x01\x02", 3);
  publish.properties.subscription_identifiers = {300};
  publish.properties.user_properties = {{"svc-caller", "alice"}, {"svc-status", "backend_error"},
                                        {"svc-error", "down"}};
  const auto bytes = encode_v5(publish);
  const auto scanned = scan_publish_v5(bytes, header_size_of(bytes));
  ASSERT_TRUE(scanned);
  EXPECT_EQ(scanned->qos, 1);
  EXPECT_EQ(scanned->packet_id, 0x1234);
  EXPECT_EQ(scanned->topic, publish.topic);
  EXPECT_EQ(scanned->response_topic, "$svc/reply/n1/abc");
  EXPECT_EQ(scanned->correlation, std::string_view(std::string("\0\x01\x02", 3)));
  EXPECT_EQ(scanned->svc_status, "backend_error");
  EXPECT_EQ(scanned->svc_error, "down");
  EXPECT_EQ(text(scanned->payload), "hello");
}

TEST(ScanPublishV5, QoS0WithoutPropertiesHasNoPacketIdAndNoRequestFields) {
  protocol::Publish publish;
  publish.topic = "t";
  publish.payload = "p";
  const auto bytes = encode_v5(publish);
  const auto scanned = scan_publish_v5(bytes, header_size_of(bytes));
  ASSERT_TRUE(scanned);
  EXPECT_EQ(scanned->packet_id, 0);
  EXPECT_FALSE(scanned->response_topic);
  EXPECT_FALSE(scanned->correlation);
  EXPECT_EQ(text(scanned->payload), "p");
}

TEST(ScanPublishV5, TruncatedOrUnknownPropertiesAreMalformed) {
  protocol::Publish publish;
  publish.topic = "t";
  publish.properties.response_topic = "reply/topic";
  auto bytes = encode_v5(publish);
  const std::size_t header = header_size_of(bytes);
  // Cut inside the Response Topic: the property block overruns the frame.
  const std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(header + 8));
  EXPECT_FALSE(scan_publish_v5(cut, header));
  // Identifier 0x7F does not exist [MQTT-2.2.2.2].
  bytes[header + 2 + 1 + 1] = 0x7F;  // topic "t", then Property Length, then the identifier
  EXPECT_FALSE(scan_publish_v5(bytes, header));
}

TEST(ServiceNode, ReplyIsAQos1PublishWithCorrelationAndStatusOk) {
  std::vector<std::uint8_t> out{0xAA};  // something already queued stays in front
  const std::string payload = "echo-me";
  const std::size_t id_at = append_reply(
      out, "$svc/reply/n1/call-7", 0x0102, std::string("\x00\xFF", 2),
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                    payload.size()));
  ASSERT_EQ(out.front(), 0xAA);
  EXPECT_EQ(out[id_at], 0x01);
  EXPECT_EQ(out[id_at + 1], 0x02);
  const std::vector<std::uint8_t> frame(out.begin() + 1, out.end());
  const protocol::Publish reply = decode_publish(frame);
  EXPECT_EQ(reply.topic, "$svc/reply/n1/call-7");
  EXPECT_EQ(reply.qos, protocol::QoS::at_least_once);
  EXPECT_EQ(reply.packet_id, 0x0102);
  EXPECT_EQ(reply.payload, payload);
  EXPECT_EQ(reply.properties.correlation_data, std::string("\x00\xFF", 2));
  ASSERT_EQ(reply.properties.user_properties.size(), 1U);
  EXPECT_EQ(reply.properties.user_properties[0].name, "svc-status");
  EXPECT_EQ(reply.properties.user_properties[0].value, "ok");
}

TEST(ServiceNode, AnnouncementNamesServiceBenchWithMethodEcho) {
  const auto body = nlohmann::json::parse(bench_announcement(10));
  EXPECT_EQ(body["service"], "bench");
  EXPECT_EQ(body["methods"], nlohmann::json::array({"echo"}));
  EXPECT_EQ(body["available"], true);
  EXPECT_EQ(body["heartbeat_s"], 10);
}

TEST(ServiceCaller, CallTemplatePatchedWithIdAndStampDecodesAsTheCall) {
  CallPlan plan;
  plan.call_topic = "$svc/call/bench/echo";
  plan.size = 40;
  plan.timeout_ms = 2500;
  CallTemplate t = make_call_template(plan, "$svc/inbox/c1/bench");
  t.bytes[t.packet_id_offset] = 0xAB;
  t.bytes[t.packet_id_offset + 1] = 0xCD;
  const Stamp stamp{7, 123456, 987654321};
  write_stamp(t.bytes.data() + t.correlation_offset, stamp);
  const protocol::Publish call = decode_publish(t.bytes);
  EXPECT_EQ(call.topic, "$svc/call/bench/echo");
  EXPECT_EQ(call.packet_id, 0xABCD);
  EXPECT_EQ(call.payload.size(), 40U);
  EXPECT_EQ(call.properties.response_topic, "$svc/inbox/c1/bench");
  ASSERT_TRUE(call.properties.correlation_data);
  const auto& cd = *call.properties.correlation_data;
  EXPECT_EQ(read_stamp(std::span<const std::uint8_t>(
                reinterpret_cast<const std::uint8_t*>(cd.data()), cd.size())),
            stamp);
  ASSERT_EQ(call.properties.user_properties.size(), 1U);
  EXPECT_EQ(call.properties.user_properties[0].name, "svc-timeout-ms");
  EXPECT_EQ(call.properties.user_properties[0].value, "2500");
}

TEST(ServiceCaller, PlainCallTemplateCarriesNoServiceProperties) {
  CallPlan plan;
  plan.call_topic = "arkmq-bench/x/reqresp/call/echo";
  plan.plain_inbox = "arkmq-bench/x/reqresp/reply/c1/";
  const CallTemplate t = make_call_template(plan, plan.plain_inbox + "bench");
  const protocol::Publish call = decode_publish(t.bytes);
  EXPECT_TRUE(call.properties.user_properties.empty());
  EXPECT_EQ(call.properties.response_topic, "arkmq-bench/x/reqresp/reply/c1/bench");
}

tl::expected<BenchOptions, UsageError> parse_reqresp(std::vector<std::string> extra) {
  std::vector<std::string> args{"--broker", "mqtt://127.0.0.1:1883", "--scenario", "reqresp"};
  args.insert(args.end(), extra.begin(), extra.end());
  return parse_options(args);
}

TEST(ReqrespOptions, MqttFiveByDefaultAndTheNodeNamedByItsUserName) {
  const auto o = parse_reqresp({"--username", "caller", "--node-username", "edge-1",
                                "--node-password-file", "/dev/null", "--inflight", "8"});
  ASSERT_TRUE(o) << o.error().text;
  EXPECT_EQ(o->protocol, 5);
  EXPECT_EQ(o->node_name, "edge-1");
  EXPECT_EQ(o->inflight, 8U);
  EXPECT_EQ(o->node_password_file, "/dev/null");
  const auto shared = parse_reqresp({"--username", "both"});
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->node_name, "both");  // one login for node and callers
  const auto named = parse_reqresp({"--node-name", "cn-1", "--username", "u"});
  ASSERT_TRUE(named);
  EXPECT_EQ(named->node_name, "cn-1");
}

TEST(ReqrespOptions, RefusalsAreOneLineWithExitCode2) {
  const std::vector<std::vector<std::string>> refused{
      {},                                            // no principal for the node
      {"--username", "u", "--protocol", "4"},        // request/response needs MQTT 5
      {"--username", "u", "--inflight", "0"},
      {"--username", "u", "--call-timeout", "0"},
      {"--node-password", "p", "--username", "u"},   // a node password without its user
      {"--node-name", "a/b"},
      {"--username", "u", "--node-cert", "c.pem", "--node-key", "k.pem"},  // TLS only
  };
  for (const auto& extra : refused) {
    const auto o = parse_reqresp(extra);
    ASSERT_FALSE(o) << extra.size();
    EXPECT_EQ(o.error().exit_code, 2);
    EXPECT_EQ(o.error().text.find('\n'), std::string::npos) << o.error().text;
  }
  EXPECT_TRUE(parse_reqresp({"--plain-reqresp"}));  // plain mode needs no principal
  const auto pairs = parse_options({"--broker", "mqtt://h", "--scenario", "pairs", "--plain-reqresp"});
  EXPECT_FALSE(pairs);
}

}  // namespace
}  // namespace arkmq::bench
