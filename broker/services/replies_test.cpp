// Tests for caller-facing replies: relayed answers, filtered properties, every error status.
#include "broker/services/replies.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

namespace arkmq::services {
namespace {

using std::chrono::milliseconds;

const TimePoint kT0{};

OutstandingCall outstanding() {
  OutstandingCall call;
  call.id = "0123456789abcdef0123456789abcdef";
  call.correlation = "broker-corr";
  call.reply_topic = "$svc/reply/edge-1/" + call.id;
  call.started = kT0;
  call.request.caller_client_id = "alice-1";
  call.request.caller_principal = "alice";
  call.request.service = "plc";
  call.request.method = "read";
  call.request.node = "edge-1";
  call.request.response_topic = "$svc/inbox/alice-1/r";
  call.request.caller_correlation = "caller-corr";
  call.request.deadline = kT0 + std::chrono::seconds(10);
  return call;
}

std::optional<std::string> property(const protocol::Publish& p, std::string_view name) {
  for (const auto& u : p.properties.user_properties) {
    if (u.name == name) return u.value;
  }
  return std::nullopt;
}

std::size_t count(const protocol::Publish& p, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(p.properties.user_properties.begin(),
                                                p.properties.user_properties.end(),
                                                [&](const auto& u) { return u.name == name; }));
}

protocol::Publish node_reply(std::string status) {
  protocol::Publish p;
  p.topic = "$svc/reply/edge-1/0123456789abcdef0123456789abcdef";
  p.payload = R"({"value": 42})";
  p.qos = protocol::QoS::at_least_once;
  p.properties.content_type = "application/json";
  p.properties.payload_format_indicator = 1;
  p.properties.correlation_data = "broker-corr";
  p.properties.response_topic = "$svc/inbox/bob/steal";
  p.properties.message_expiry_interval = 5;
  p.properties.user_properties = {{"svc-status", std::move(status)}, {"http-status", "200"}};
  return p;
}

TEST(Replies, OkReplyReachesTheCallersInboxWithItsCorrelation) {
  const auto out = relay_reply(outstanding(), node_reply("ok"), kT0 + milliseconds(42));
  EXPECT_EQ(out.topic, "$svc/inbox/alice-1/r");
  EXPECT_EQ(out.properties.correlation_data, "caller-corr");
  EXPECT_EQ(out.payload, R"({"value": 42})");
  EXPECT_EQ(out.properties.content_type, "application/json");
  EXPECT_EQ(out.properties.payload_format_indicator, 1);
  EXPECT_FALSE(out.retain);
  EXPECT_EQ(property(out, "svc-status"), "ok");
  EXPECT_EQ(property(out, "svc-node"), "edge-1");
  EXPECT_EQ(property(out, "svc-latency-ms"), "42");
  EXPECT_EQ(property(out, "http-status"), "200");
  EXPECT_EQ(property(out, "svc-error"), std::nullopt);
  // The node cannot redirect the caller's reply or set its lifetime.
  EXPECT_EQ(out.properties.response_topic, std::nullopt);
  EXPECT_EQ(out.properties.message_expiry_interval, std::nullopt);
}

TEST(Replies, NodeCannotSpoofBrokerSvcProperties) {
  auto in = node_reply("ok");
  in.properties.user_properties.push_back({"svc-node", "edge-evil"});
  in.properties.user_properties.push_back({"svc-latency-ms", "0"});
  in.properties.user_properties.push_back({"svc-caller", "root"});
  const auto out = relay_reply(outstanding(), in, kT0);
  EXPECT_EQ(count(out, "svc-node"), 1u);
  EXPECT_EQ(property(out, "svc-node"), "edge-1");
  EXPECT_EQ(count(out, "svc-latency-ms"), 1u);
  EXPECT_EQ(count(out, "svc-status"), 1u);
  EXPECT_EQ(count(out, "svc-caller"), 0u);
}

TEST(Replies, BackendErrorKeepsTheNodesErrorAndDropsThePayload) {
  auto in = node_reply("backend_error");
  in.properties.user_properties.push_back({"svc-error", "HTTP 503"});
  const auto out = relay_reply(outstanding(), in, kT0);
  EXPECT_EQ(property(out, "svc-status"), "backend_error");
  EXPECT_EQ(property(out, "svc-error"), "HTTP 503");
  EXPECT_TRUE(out.payload.empty());
  EXPECT_EQ(out.properties.content_type, std::nullopt);
}

TEST(Replies, MissingOrForeignStatusFromTheNodeIsABackendError) {
  for (const char* status : {"", "denied", "timeout", "OK"}) {
    const auto out = relay_reply(outstanding(), node_reply(status), kT0);
    EXPECT_EQ(property(out, "svc-status"), "backend_error") << status;
    EXPECT_TRUE(property(out, "svc-error").has_value()) << status;
  }
  auto both = node_reply("ok");
  both.properties.user_properties.push_back({"svc-status", "backend_error"});
  EXPECT_EQ(property(relay_reply(outstanding(), both, kT0), "svc-status"), "backend_error");
}

TEST(Replies, BackendDetailsAreBoundedInNumberAndSize) {
  auto in = node_reply("ok");
  in.properties.user_properties.push_back({std::string(65, 'n'), "v"});
  in.properties.user_properties.push_back({"big", std::string(1025, 'v')});
  for (int i = 0; i < 40; ++i) in.properties.user_properties.push_back({"d", std::to_string(i)});
  const auto out = relay_reply(outstanding(), in, kT0);
  EXPECT_EQ(count(out, "big"), 0u);
  EXPECT_EQ(count(out, std::string(65, 'n')), 0u);
  EXPECT_EQ(out.properties.user_properties.size(), 3u + kMaxDetailProperties);
}

TEST(Replies, EveryErrorStatusHasAnEmptyPayloadAndAnErrorText) {
  constexpr std::array statuses{ServiceStatus::denied,         ServiceStatus::no_such_service,
                                ServiceStatus::no_node_available, ServiceStatus::timeout,
                                ServiceStatus::backend_error,  ServiceStatus::quota_exceeded,
                                ServiceStatus::bad_request};
  for (const auto status : statuses) {
    const auto out = error_reply(ErrorReply{"$svc/inbox/alice-1/r", "c", status, "", {}});
    EXPECT_EQ(out.topic, "$svc/inbox/alice-1/r");
    EXPECT_EQ(out.properties.correlation_data, "c");
    EXPECT_TRUE(out.payload.empty());
    EXPECT_EQ(property(out, "svc-status"), std::string(to_string(status)));
    EXPECT_FALSE(property(out, "svc-error").value_or("").empty());
    EXPECT_EQ(property(out, "svc-node"), std::nullopt);
    EXPECT_EQ(parse_service_status(to_string(status)), status);
  }
  EXPECT_EQ(parse_service_status("ok"), ServiceStatus::ok);
  EXPECT_EQ(parse_service_status("nope"), std::nullopt);
}

TEST(Replies, CallErrorReplyNamesTheNodeAndTheLatency) {
  const auto out = call_error_reply(outstanding(), ServiceStatus::timeout, "",
                                    kT0 + milliseconds(10'000));
  EXPECT_EQ(property(out, "svc-status"), "timeout");
  EXPECT_EQ(property(out, "svc-node"), "edge-1");
  EXPECT_EQ(property(out, "svc-latency-ms"), "10000");
  EXPECT_EQ(property(out, "svc-error"), "no reply before the deadline");
  const auto custom = error_reply(
      ErrorReply{"$svc/inbox/a/r", "c", ServiceStatus::bad_request, "no Correlation Data", {}});
  EXPECT_EQ(property(custom, "svc-error"), "no Correlation Data");
}

// Whatever the broker itself writes holds no network address: the only topics are the caller's
// inbox, and no property carries anything from the registry's client ids or the node's addresses.
TEST(Replies, NoOutputCarriesAnAddressOrTheNodesClientId) {
  auto in = node_reply("ok");
  const auto out = relay_reply(outstanding(), in, kT0);
  for (const auto& u : out.properties.user_properties) {
    EXPECT_EQ(u.value.find("127.0.0.1"), std::string::npos);
  }
  EXPECT_EQ(out.topic.rfind("$svc/inbox/alice-1/", 0), 0u);
}

}  // namespace
}  // namespace arkmq::services
