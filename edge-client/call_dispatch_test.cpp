// Call topic parsing, request validation, deadlines and replies.
#include "edge-client/call_dispatch.hpp"

#include <gtest/gtest.h>

namespace arkmq::edge {
namespace {

using namespace std::chrono_literals;

EdgeMessage forwarded_call() {
  EdgeMessage m;
  m.topic = "$svc/node/edge-1/call/plc/read";
  m.payload = "{\"reg\":3}";
  m.qos = 1;
  m.response_topic = "$svc/reply/edge-1/c42";
  m.correlation_data = std::string("\x01\x02\x00z", 4);
  m.content_type = "application/json";
  m.user_properties = {{"svc-caller", "alice"}, {"svc-deadline-ms", "2500"}};
  return m;
}

TEST(CallDispatch, ParsesNodeServiceAndMethodFromTheCallTopic) {
  auto t = parse_call_topic("$svc/node/edge-1/call/plc/read");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->node, "edge-1");
  EXPECT_EQ(t->service, "plc");
  EXPECT_EQ(t->method, "read");
  EXPECT_FALSE(parse_call_topic("$svc/node/edge-1/call/plc"));
  EXPECT_FALSE(parse_call_topic("$svc/node/edge-1/call/plc/read/extra"));
  EXPECT_FALSE(parse_call_topic("$svc/node/edge-1/cast/plc/read"));
  EXPECT_FALSE(parse_call_topic("$svc/node//call/plc/read"));
  EXPECT_FALSE(parse_call_topic("svc/node/edge-1/call/plc/read"));
  EXPECT_EQ(call_subscription("edge-1"), "$svc/node/edge-1/call/#");
}

TEST(CallDispatch, ValidCallKeepsPayloadCorrelationAndCaller) {
  auto request = parse_call(forwarded_call(), "edge-1", 10s);
  ASSERT_TRUE(request) << request.error();
  EXPECT_EQ(request->payload, "{\"reg\":3}");
  EXPECT_EQ(request->correlation_data, std::string("\x01\x02\x00z", 4));
  EXPECT_EQ(request->caller, "alice");
  EXPECT_EQ(request->content_type, "application/json");
  EXPECT_EQ(request->budget, 2500ms);
}

TEST(CallDispatch, DeadlineIsTheSmallestOfDeadlineExpiryAndServiceTimeout) {
  auto m = forwarded_call();
  EXPECT_EQ(parse_call(m, "edge-1", 1s)->budget, 1000ms);
  m.message_expiry_s = 2;
  EXPECT_EQ(parse_call(m, "edge-1", 10s)->budget, 2000ms);
  m.user_properties = {};
  m.message_expiry_s.reset();
  EXPECT_EQ(parse_call(m, "edge-1", 90s)->budget, 60'000ms);  // never above the broker's maximum
  m.user_properties = {{"svc-deadline-ms", "soon"}};
  EXPECT_FALSE(parse_call(m, "edge-1", 10s));
}

TEST(CallDispatch, CallsThatCannotBeAnsweredSafelyAreRefused) {
  auto m = forwarded_call();
  m.response_topic = "plant/other";  // would make us publish outside our reply namespace
  EXPECT_FALSE(parse_call(m, "edge-1", 10s));
  m.response_topic = "$svc/reply/edge-2/c1";  // another node's
  EXPECT_FALSE(parse_call(m, "edge-1", 10s));
  m.response_topic = "$svc/reply/edge-1/#";
  EXPECT_FALSE(parse_call(m, "edge-1", 10s));
  m = forwarded_call();
  m.correlation_data.clear();
  EXPECT_FALSE(parse_call(m, "edge-1", 10s));
  m = forwarded_call();
  EXPECT_FALSE(parse_call(m, "edge-2", 10s));  // not for us
}

TEST(CallDispatch, OkReplyCarriesPayloadStatusAndDetails) {
  const auto request = *parse_call(forwarded_call(), "edge-1", 10s);
  BackendResult result;
  result.status = CallStatus::ok;
  result.payload = "42";
  result.content_type = "text/plain";
  result.details = {{"http-status", "200"}};
  const auto reply = build_reply(request, result);
  EXPECT_EQ(reply.topic, "$svc/reply/edge-1/c42");
  EXPECT_EQ(reply.correlation_data, request.correlation_data);
  EXPECT_EQ(reply.qos, 1);
  EXPECT_EQ(reply.payload, "42");
  EXPECT_EQ(reply.content_type, "text/plain");
  EXPECT_EQ(reply.user_property("svc-status"), "ok");
  EXPECT_EQ(reply.user_property("http-status"), "200");
  EXPECT_FALSE(reply.user_property("svc-error"));
}

TEST(CallDispatch, ErrorReplyHasEmptyPayloadAndAReason) {
  const auto request = *parse_call(forwarded_call(), "edge-1", 10s);
  BackendResult result = BackendResult::failure("backend unreachable");
  result.payload = "ignored";
  const auto reply = build_reply(request, result);
  EXPECT_EQ(reply.payload, "");
  EXPECT_EQ(reply.user_property("svc-status"), "backend_error");
  EXPECT_EQ(reply.user_property("svc-error"), "backend unreachable");
}

}  // namespace
}  // namespace arkmq::edge
