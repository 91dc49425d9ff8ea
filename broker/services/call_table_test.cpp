// Tests for CallTable and the forwarded request: ids, matching, deadlines, node loss, bounds.
#include "broker/services/call_table.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "broker/services/forwarding.hpp"

namespace arkmq::services {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kT0{};

// Deterministic "random" bytes: a counter, so ids differ and tests can predict nothing else.
RandomSource counter_source() {
  auto next = std::make_shared<std::uint8_t>(0);
  return [next](std::span<std::uint8_t> out) {
    for (auto& byte : out) byte = (*next)++;
  };
}

CallStart call_from(std::string caller, std::string node = "edge-1",
                    TimePoint deadline = kT0 + seconds(10), std::string node_client_id = "") {
  CallStart s;
  s.caller_client_id = std::move(caller);
  s.caller_principal = "alice";
  s.service = "plc";
  s.method = "read";
  s.node = std::move(node);
  s.response_topic = "$svc/inbox/alice-1/r";
  s.caller_correlation = "caller-corr";
  s.deadline = deadline;
  s.request_bytes = 12;
  s.node_client_id = node_client_id.empty() ? s.node + "-conn" : std::move(node_client_id);
  return s;
}

TEST(CallTable, StartGivesUnpredictableIdsAndAReplyTopicForTheNode) {
  CallTable table(counter_source());
  const auto first = table.start(call_from("alice-1"), kT0);
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)->id.size(), 32u);
  EXPECT_EQ((*first)->id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ((*first)->reply_topic, "$svc/reply/edge-1/" + (*first)->id);
  EXPECT_EQ((*first)->correlation.size(), 16u);
  const auto second = table.start(call_from("alice-1"), kT0);
  ASSERT_TRUE(second);
  EXPECT_NE((*first)->id, (*second)->id);
  EXPECT_EQ(table.size(), 2u);
}

TEST(CallTable, RepeatedRandomBytesAreRetriedThenRefused) {
  CallTable table([](std::span<std::uint8_t> out) { std::fill(out.begin(), out.end(), 7); });
  ASSERT_TRUE(table.start(call_from("alice-1"), kT0));
  EXPECT_EQ(table.start(call_from("alice-1"), kT0).error(), ServiceStatus::backend_error);
}

TEST(CallTable, ASourceThatThrowsRefusesTheCallWithBackendError) {
  bool fail = true;
  auto counter = counter_source();
  CallTable table([&](std::span<std::uint8_t> out) {
    if (fail) throw std::runtime_error("no entropy");
    counter(out);
  });
  EXPECT_EQ(table.start(call_from("alice-1"), kT0).error(), ServiceStatus::backend_error);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.outstanding_for("alice-1"), 0u);
  fail = false;
  EXPECT_TRUE(table.start(call_from("alice-1"), kT0));
}

TEST(CallTable, ForwardedRequestCarriesOnlyWhatTheSpecSays) {
  CallTable table(counter_source());
  const OutstandingCall call = **table.start(call_from("alice-1"), kT0);
  protocol::Publish request;
  request.topic = "$svc/call/plc/read";
  request.payload = "body";
  request.properties.content_type = "application/json";
  request.properties.payload_format_indicator = 1;
  request.properties.response_topic = "$svc/inbox/alice-1/r";
  request.properties.correlation_data = "caller-corr";
  request.properties.user_properties = {{"svc-caller", "root"}, {"x", "y"}};
  const auto out = forward_request(call, request, kT0 + milliseconds(2500));
  EXPECT_EQ(out.topic, "$svc/node/edge-1/call/plc/read");
  EXPECT_EQ(out.payload, "body");
  EXPECT_EQ(out.qos, protocol::QoS::at_least_once);
  EXPECT_FALSE(out.retain);
  EXPECT_EQ(out.properties.content_type, "application/json");
  EXPECT_EQ(out.properties.payload_format_indicator, 1);
  EXPECT_EQ(out.properties.response_topic, call.reply_topic);
  EXPECT_EQ(out.properties.correlation_data, call.correlation);
  EXPECT_EQ(out.properties.message_expiry_interval, 8u);  // 7.5 s left, rounded up
  const std::vector<protocol::UserProperty> expected{{"svc-caller", "alice"},
                                                     {"svc-deadline-ms", "7500"}};
  EXPECT_EQ(out.properties.user_properties, expected);
  // Nothing of the caller's addressing reaches the node.
  EXPECT_EQ(out.properties.response_topic->find("alice-1"), std::string::npos);
}

TEST(CallTable, MatchingReplyReturnsAndRemovesTheCall) {
  CallTable table(counter_source());
  const OutstandingCall call = **table.start(call_from("alice-1"), kT0);
  const auto matched = table.match_reply("edge-1", call.reply_topic, call.correlation, kT0);
  ASSERT_TRUE(matched);
  EXPECT_EQ(matched->request.caller_correlation, "caller-corr");
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.outstanding_for("alice-1"), 0u);
  EXPECT_EQ(table.match_reply("edge-1", call.reply_topic, call.correlation, kT0).error(),
            ReplyMismatch::duplicate);
}

TEST(CallTable, RepliesThatDoNotMatchAreRefusedWithTheReason) {
  CallTable table(counter_source());
  const OutstandingCall call = **table.start(call_from("alice-1"), kT0);
  EXPECT_EQ(table.match_reply("edge-1", "$svc/reply/edge-1", call.correlation, kT0).error(),
            ReplyMismatch::not_a_reply_topic);
  EXPECT_EQ(table.match_reply("edge-2", call.reply_topic, call.correlation, kT0).error(),
            ReplyMismatch::wrong_node);
  EXPECT_EQ(table.match_reply("edge-2", "$svc/reply/edge-2/" + call.id, call.correlation, kT0)
                .error(),
            ReplyMismatch::wrong_node);
  EXPECT_EQ(table.match_reply("edge-1", call.reply_topic, "guess", kT0).error(),
            ReplyMismatch::wrong_correlation);
  EXPECT_EQ(table.match_reply("edge-1", "$svc/reply/edge-1/0000", call.correlation, kT0).error(),
            ReplyMismatch::unsolicited);
  EXPECT_EQ(table.size(), 1u);  // none of these disturbed the outstanding call
  EXPECT_TRUE(table.match_reply("edge-1", call.reply_topic, call.correlation, kT0));
}

TEST(CallTable, DeadlinesExpireCallsAndLaterRepliesAreLate) {
  CallTable table(counter_source());
  const OutstandingCall early = **table.start(call_from("alice-1", "edge-1", kT0 + seconds(1)),
                                              kT0);
  const OutstandingCall later = **table.start(call_from("alice-1", "edge-1", kT0 + seconds(5)),
                                              kT0);
  EXPECT_EQ(table.next_deadline(), kT0 + seconds(1));
  // A reply at the deadline, before expire() ran, is already late; the call stays for expire().
  EXPECT_EQ(table.match_reply("edge-1", early.reply_topic, early.correlation, kT0 + seconds(1))
                .error(),
            ReplyMismatch::late);
  EXPECT_TRUE(table.expire(kT0 + milliseconds(999)).empty());
  const auto expired = table.expire(kT0 + seconds(1));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, early.id);
  EXPECT_EQ(table.match_reply("edge-1", early.reply_topic, early.correlation, kT0 + seconds(2))
                .error(),
            ReplyMismatch::late);
  EXPECT_EQ(table.next_deadline(), kT0 + seconds(5));
  EXPECT_TRUE(table.match_reply("edge-1", later.reply_topic, later.correlation, kT0 + seconds(2)));
}

TEST(CallTable, NodeGoneFailsOnlyThatNodesCalls) {
  CallTable table(counter_source());
  table.start(call_from("alice-1", "edge-1"), kT0);
  table.start(call_from("alice-1", "edge-2"), kT0);
  table.start(call_from("bob-1", "edge-1"), kT0);
  const auto failed = table.node_gone("edge-1-conn");
  EXPECT_EQ(failed.size(), 2u);
  for (const auto& call : failed) EXPECT_EQ(call.request.node, "edge-1");
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.outstanding_for("bob-1"), 0u);
}

TEST(CallTable, NodeGoneIsKeyedByTheConnectionNotThePrincipal) {
  // Two connections of one node principal: closing one must not fail the other's calls.
  CallTable table(counter_source());
  const auto deadline = kT0 + seconds(10);
  table.start(call_from("alice-1", "edge-1", deadline, "edge-1-a"), kT0);
  table.start(call_from("alice-1", "edge-1", deadline, "edge-1-b"), kT0);
  EXPECT_TRUE(table.node_gone("edge-1").empty());  // a principal is not a connection
  const auto failed = table.node_gone("edge-1-a");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].request.node_client_id, "edge-1-a");
  EXPECT_EQ(table.size(), 1u);
}

TEST(CallTable, AbandonRemovesOneCallAndLaterRepliesAreDuplicates) {
  CallTable table(counter_source());
  const OutstandingCall call = **table.start(call_from("alice-1"), kT0);
  const auto abandoned = table.abandon(call.id);
  ASSERT_TRUE(abandoned);
  EXPECT_EQ(abandoned->id, call.id);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.outstanding_for("alice-1"), 0u);
  EXPECT_FALSE(table.next_deadline());
  EXPECT_FALSE(table.abandon(call.id));
  EXPECT_EQ(table.match_reply("edge-1", call.reply_topic, call.correlation, kT0).error(),
            ReplyMismatch::duplicate);
}

TEST(CallTable, NextDeadlineFollowsTheEarliestOutstandingCall) {
  CallTable table(counter_source());
  EXPECT_FALSE(table.next_deadline());
  const OutstandingCall late = **table.start(call_from("a", "edge-1", kT0 + seconds(9)), kT0);
  const OutstandingCall early = **table.start(call_from("a", "edge-1", kT0 + seconds(3)), kT0);
  EXPECT_EQ(table.next_deadline(), kT0 + seconds(3));
  ASSERT_TRUE(table.match_reply("edge-1", early.reply_topic, early.correlation, kT0));
  EXPECT_EQ(table.next_deadline(), kT0 + seconds(9));
  EXPECT_TRUE(table.expire(kT0 + seconds(8)).empty());
  const auto expired = table.expire(kT0 + seconds(9));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, late.id);
  EXPECT_FALSE(table.next_deadline());
}

TEST(CallTable, CallerGoneDropsItsCallsAndFreesItsQuota) {
  CallTable table(counter_source(), CallTableLimits{1, 10, 16});
  table.start(call_from("alice-1"), kT0);
  EXPECT_EQ(table.start(call_from("alice-1"), kT0).error(), ServiceStatus::quota_exceeded);
  EXPECT_EQ(table.caller_gone("alice-1").size(), 1u);
  EXPECT_TRUE(table.start(call_from("alice-1"), kT0));
}

TEST(CallTable, BoundsPerCallerAndInTotalRefuseWithQuotaExceeded) {
  CallTable table(counter_source(), CallTableLimits{2, 3, 16});
  EXPECT_TRUE(table.start(call_from("a"), kT0));
  EXPECT_TRUE(table.start(call_from("a"), kT0));
  EXPECT_EQ(table.start(call_from("a"), kT0).error(), ServiceStatus::quota_exceeded);
  EXPECT_TRUE(table.start(call_from("b"), kT0));
  EXPECT_EQ(table.start(call_from("c"), kT0).error(), ServiceStatus::quota_exceeded);
  EXPECT_EQ(table.size(), 3u);
}

TEST(CallTable, RememberedIdsAreBounded) {
  CallTable table(counter_source(), CallTableLimits{100, 100, 2});
  std::vector<OutstandingCall> calls;
  for (int i = 0; i < 3; ++i) {
    calls.push_back(**table.start(call_from("a", "edge-1", kT0 + seconds(1)), kT0));
  }
  EXPECT_EQ(table.expire(kT0 + seconds(1)).size(), 3u);
  int late = 0;
  int unsolicited = 0;
  for (const auto& call : calls) {
    const auto r = table.match_reply("edge-1", call.reply_topic, call.correlation, kT0);
    if (r.error() == ReplyMismatch::late) ++late;
    if (r.error() == ReplyMismatch::unsolicited) ++unsolicited;
  }
  EXPECT_EQ(late, 2);
  EXPECT_EQ(unsolicited, 1);
}

}  // namespace
}  // namespace arkmq::services
