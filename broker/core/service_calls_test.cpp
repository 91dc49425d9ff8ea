// Service calls through the broker core: forwarding, reply relay, refusals, deadlines, node
// loss, stray replies (docs/protocol.md, "Call", "Reply", "Errors").
#include <gtest/gtest.h>

#include "broker/core/service_test_fixture.hpp"

namespace arkmq::core::test {
namespace {

using protocol::UserProperty;

TEST_F(ServiceTest, PermittedCallIsForwardedAndTheReplyRelayedWithTheCallersCorrelation) {
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-1", {}, "{\"q\":1}"),
            ReasonCode::success);

  const protocol::Publish request = one_publish(*node);
  EXPECT_EQ(request.topic, "$svc/node/edge-1/call/plc/read");
  EXPECT_EQ(request.payload, "{\"q\":1}");
  EXPECT_EQ(request.qos, QoS::at_least_once);
  EXPECT_EQ(user_property(request, "svc-caller"), "alice");
  ASSERT_TRUE(request.properties.response_topic);
  EXPECT_EQ(request.properties.response_topic->rfind("$svc/reply/edge-1/", 0), 0U);
  // The broker's own correlation, never the caller's.
  ASSERT_TRUE(request.properties.correlation_data);
  EXPECT_NE(*request.properties.correlation_data, "c-1");

  node->advance(7ms);
  EXPECT_EQ(reply(*node, request, "42"), ReasonCode::success);
  const protocol::Publish answer = one_publish(*caller);
  EXPECT_EQ(answer.topic, "$svc/inbox/alice-1/r");
  EXPECT_EQ(answer.payload, "42");
  EXPECT_EQ(answer.properties.correlation_data, "c-1");
  EXPECT_EQ(user_property(answer, "svc-status"), "ok");
  EXPECT_EQ(user_property(answer, "svc-node"), "edge-1");

  const auto calls = events->of_kind("call");
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].client_id, "alice-1");
  EXPECT_EQ(calls[0].principal, "alice");
  EXPECT_TRUE(calls[0].online);
  EXPECT_EQ(calls[0].service, "plc");
  EXPECT_EQ(calls[0].method, "read");
  EXPECT_EQ(calls[0].node, "edge-1");
  EXPECT_EQ(calls[0].status, "ok");
  EXPECT_EQ(calls[0].correlation, "c-1");
  EXPECT_EQ(calls[0].latency, std::chrono::microseconds(7000));
  EXPECT_EQ(calls[0].request_bytes, 7U);
  EXPECT_EQ(calls[0].reply_bytes, 2U);
  // The reply went nowhere else, and a second copy of it is a duplicate.
  EXPECT_EQ(reply(*node, request, "43"), ReasonCode::no_matching_subscribers);
  EXPECT_TRUE(caller->received_of<protocol::Publish>().empty());
}

TEST_F(ServiceTest, DeniedCallGets0x87AndADeniedReplyAndNeverReachesTheNode) {
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");
  fx.policy->denied.emplace_back(Action::publish, "$svc/call/plc/read");
  EXPECT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-2"), ReasonCode::not_authorized);
  const protocol::Publish answer = one_publish(*caller);
  EXPECT_EQ(answer.properties.correlation_data, "c-2");
  EXPECT_EQ(user_property(answer, "svc-status"), "denied");
  EXPECT_TRUE(answer.payload.empty());
  EXPECT_TRUE(node->received_of<protocol::Publish>().empty());
  const auto calls = events->of_kind("call");
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].status, "denied");
  EXPECT_EQ(calls[0].node, "");
}

TEST_F(ServiceTest, CallToAServiceNeverAnnouncedIsNoSuchService) {
  auto caller = start_caller("alice", "alice-1");
  EXPECT_EQ(call(*caller, "alice-1", "$svc/call/nothing/read", "c-3"), ReasonCode::success);
  const protocol::Publish answer = one_publish(*caller);
  EXPECT_EQ(user_property(answer, "svc-status"), "no_such_service");
  EXPECT_EQ(answer.properties.correlation_data, "c-3");
  ASSERT_EQ(events->of_kind("call").size(), 1U);
  EXPECT_EQ(events->of_kind("call")[0].status, "no_such_service");
}

TEST_F(ServiceTest, NodeThatIsNotSubscribedGivesNoNodeAvailableAtOnce) {
  auto node = connect_as("edge-1", "edge-1-conn");
  ASSERT_EQ(announce(*node, "edge-1", "plc", "{}"), ReasonCode::success);
  auto caller = start_caller("alice", "alice-1");
  EXPECT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-4"), ReasonCode::success);
  const protocol::Publish answer = one_publish(*caller);
  EXPECT_EQ(user_property(answer, "svc-status"), "no_node_available");
  EXPECT_EQ(user_property(answer, "svc-node"), "edge-1");
  // Nothing outstanding: no timeout follows later.
  broker->tick_services(t0() + 1h);
  EXPECT_TRUE(caller->received_of<protocol::Publish>().empty());
}

TEST_F(ServiceTest, MethodNoNodeServesIsNoNodeAvailable) {
  auto node = start_node("edge-1", "edge-1-conn");  // serves plc.read only
  auto caller = start_caller("alice", "alice-1");
  EXPECT_EQ(call(*caller, "alice-1", "$svc/call/plc/write", "c-5"), ReasonCode::success);
  EXPECT_EQ(user_property(one_publish(*caller), "svc-status"), "no_node_available");
  EXPECT_TRUE(node->received_of<protocol::Publish>().empty());
}

TEST_F(ServiceTest, CallWithoutAReplyReachesTheDeadlineAndTimesOutOnTheServicesTick) {
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-6", {{"svc-timeout-ms", "500"}}),
            ReasonCode::success);
  const protocol::Publish request = one_publish(*node);
  broker->tick_services(t0() + 499ms);
  EXPECT_TRUE(caller->received_of<protocol::Publish>().empty());
  broker->tick_services(t0() + 500ms);
  const protocol::Publish answer = one_publish(*caller);
  EXPECT_EQ(user_property(answer, "svc-status"), "timeout");
  EXPECT_EQ(answer.properties.correlation_data, "c-6");
  EXPECT_EQ(user_property(answer, "svc-latency-ms"), "500");
  // The node's reply after that is late: dropped, reported, the caller gets nothing more.
  node->advance(600ms);
  EXPECT_EQ(reply(*node, request, "late"), ReasonCode::no_matching_subscribers);
  EXPECT_TRUE(caller->received_of<protocol::Publish>().empty());
  const auto dropped = events->of_kind("dropped");
  ASSERT_EQ(dropped.size(), 1U);
  EXPECT_EQ(dropped[0].why, "late reply");
  EXPECT_EQ(dropped[0].principal, "edge-1");
  ASSERT_EQ(events->of_kind("call").size(), 1U);
  EXPECT_EQ(events->of_kind("call")[0].status, "timeout");
}

TEST_F(ServiceTest, BrokerTickAlsoAnswersTimeouts) {
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-7", {{"svc-timeout-ms", "100"}}),
            ReasonCode::success);
  broker->tick(t0() + 1s);
  EXPECT_EQ(user_property(one_publish(*caller), "svc-status"), "timeout");
}

TEST_F(ServiceTest, NodeDisconnectFailsItsCallsWithBackendErrorAndWithdrawsIt) {
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-8"), ReasonCode::success);
  one_publish(*node);
  node->transport_closed();
  const protocol::Publish answer = one_publish(*caller);
  EXPECT_EQ(user_property(answer, "svc-status"), "backend_error");
  EXPECT_EQ(answer.properties.correlation_data, "c-8");
  // Withdrawn: the next call finds no node.
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-9"), ReasonCode::success);
  EXPECT_EQ(user_property(one_publish(*caller), "svc-status"), "no_node_available");
  const auto registry = events->of_kind("registry");
  ASSERT_FALSE(registry.empty());
  EXPECT_EQ(registry.back().nodes_available, 0U);
}

TEST_F(ServiceTest, AnotherConnectionOfTheSamePrincipalClosingDoesNotFailTheCall) {
  auto node = start_node("edge-1", "edge-1-a");
  auto other = connect_as("edge-1", "edge-1-b");  // same principal, not the announcing one
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-10"), ReasonCode::success);
  const protocol::Publish request = one_publish(*node);
  other->transport_closed();
  EXPECT_TRUE(caller->received_of<protocol::Publish>().empty());
  EXPECT_EQ(reply(*node, request, "ok!"), ReasonCode::success);
  EXPECT_EQ(one_publish(*caller).payload, "ok!");
}

TEST_F(ServiceTest, OnlyTheAnnouncingConnectionGetsTheRequest) {
  auto node = start_node("edge-1", "edge-1-a");
  auto twin = connect_as("edge-1", "edge-1-b");
  twin->subscribe("$svc/node/edge-1/call/#", QoS::at_least_once);
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-11"), ReasonCode::success);
  EXPECT_EQ(node->received_of<protocol::Publish>().size(), 1U);
  EXPECT_TRUE(twin->received_of<protocol::Publish>().empty());
}

TEST_F(ServiceTest, UnsolicitedAndForeignRepliesAreDroppedWithAnEvent) {
  auto node = start_node("edge-1", "edge-1-conn");
  protocol::Properties p;
  p.correlation_data = "x";
  node->publish("$svc/reply/edge-1/0123456789abcdef0123456789abcdef", "forged",
                QoS::at_least_once, false, 3, p);
  EXPECT_EQ(puback_of(*node), ReasonCode::no_matching_subscribers);
  auto mallory = connect_as("mallory", "mallory-1");
  mallory->publish("$svc/reply/edge-1/0123", "forged", QoS::at_least_once, false, 4, p);
  EXPECT_EQ(puback_of(*mallory), ReasonCode::no_matching_subscribers);
  const auto dropped = events->of_kind("dropped");
  ASSERT_EQ(dropped.size(), 2U);
  EXPECT_EQ(dropped[0].why, "unsolicited reply");
  EXPECT_EQ(dropped[1].why, "reply from the wrong node");
  EXPECT_EQ(dropped[1].client_id, "mallory-1");
}

TEST_F(ServiceTest, CallWithoutAUsableResponseTopicIsDroppedWithoutAnyReply) {
  auto caller = start_caller("alice", "alice-1");
  protocol::Properties p;
  p.response_topic = "$svc/inbox/bob-1/r";  // someone else's inbox
  p.correlation_data = "c";
  caller->publish("$svc/call/plc/read", "{}", QoS::at_least_once, false, 1, p);
  EXPECT_EQ(puback_of(*caller), ReasonCode::implementation_specific_error);
  EXPECT_TRUE(caller->received_of<protocol::Publish>().empty());
  ASSERT_EQ(events->of_kind("dropped").size(), 1U);
  EXPECT_TRUE(events->of_kind("call").empty());
}

TEST_F(ServiceTest, BadSvcPropertyIsABadRequestReply) {
  auto caller = start_caller("alice", "alice-1");
  EXPECT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-12", {{"svc-timeout-ms", "0"}}),
            ReasonCode::success);
  const protocol::Publish answer = one_publish(*caller);
  EXPECT_EQ(user_property(answer, "svc-status"), "bad_request");
  EXPECT_EQ(events->of_kind("call").at(0).status, "bad_request");
}

TEST_F(ServiceTest, DefaultCallRatesApplyPerCallerPrincipal) {
  ServiceSettings settings;
  settings.default_rates = services::CallRateLimits{1, 1, 0, 0};
  settings.rates["free"] = services::CallRateLimits{};
  start(std::move(settings));
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-13"), ReasonCode::success);
  EXPECT_EQ(node->received_of<protocol::Publish>().size(), 1U);
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-14"), ReasonCode::success);
  EXPECT_EQ(user_property(one_publish(*caller), "svc-status"), "quota_exceeded");
  EXPECT_TRUE(node->received_of<protocol::Publish>().empty());
}

TEST_F(ServiceTest, CallerDisconnectDropsItsCallsSilently) {
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-15"), ReasonCode::success);
  const protocol::Publish request = one_publish(*node);
  caller->transport_closed();
  broker->tick_services(t0() + 1h);  // nothing left to time out
  EXPECT_TRUE(events->of_kind("call").empty());
  EXPECT_EQ(reply(*node, request, "x"), ReasonCode::no_matching_subscribers);
}

}  // namespace
}  // namespace arkmq::core::test
