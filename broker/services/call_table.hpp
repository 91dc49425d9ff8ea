// CallTable: the outstanding service calls, their unpredictable ids, reply matching, deadlines
// and bounds (docs/protocol.md, "Call" and "Reply"). Plain object; owned by one broker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tl/expected.hpp>

#include "broker/services/service_status.hpp"

namespace arkmq::services {

// Fills the span with unpredictable bytes (the broker passes a CSPRNG, tests a counter). It may
// throw when no secure bytes can be had: CallTable::start() then refuses with backend_error
// (nothing stored), so the exception never crosses the library.
using RandomSource = std::function<void(std::span<std::uint8_t>)>;

struct CallTableLimits {
  std::size_t max_per_caller = 64;     // outstanding calls of one caller client id
  std::size_t max_total = 10'000;      // outstanding calls in the broker
  std::size_t remembered_ids = 4'096;  // finished ids kept to tell late/duplicate replies
};

struct CallStart {
  std::string caller_client_id;
  std::string caller_principal;  // what the node sees as `svc-caller`
  std::string service;
  std::string method;
  std::string node;               // the selected node's principal
  std::string response_topic;     // the caller's, already checked against its inbox
  std::string caller_correlation;
  TimePoint deadline{};
  std::size_t request_bytes = 0;  // for the journal
  // The client id of the connection the request goes to: node_gone() is keyed by it, so two
  // connections of one principal never cancel each other's calls.
  std::string node_client_id;
};

struct OutstandingCall {
  std::string id;           // 32 hex digits from 16 random bytes; the last level of reply_topic
  std::string correlation;  // the broker's own Correlation Data for the node (16 hex digits)
  std::string reply_topic;  // $svc/reply/N/<id>
  TimePoint started{};
  CallStart request;
};

enum class ReplyMismatch {
  not_a_reply_topic,  // not $svc/reply/N/ID
  wrong_node,         // the publisher is not N, or N is not the node the call went to
  wrong_correlation,  // right call, wrong Correlation Data (the call stays outstanding)
  late,               // the call timed out (or its deadline passed) before this reply
  duplicate,          // the call was already answered or failed
  unsolicited,        // no such call, ever (within the remembered ids)
};
std::string_view to_string(ReplyMismatch mismatch);

// Rules:
// - start() refuses with quota_exceeded past max_per_caller or max_total; nothing is stored.
// - A reply matches only its outstanding call's node, reply topic and correlation; a match
//   removes the call. Every other reply is to be dropped and journaled.
// - A reply at or after the deadline is `late`; the call stays until expire() reports it.
// - expire(), node_gone() and caller_gone() remove what they return.
class CallTable {
 public:
  CallTable(RandomSource random, CallTableLimits limits = {});

  tl::expected<const OutstandingCall*, ServiceStatus> start(CallStart request, TimePoint now);
  tl::expected<OutstandingCall, ReplyMismatch> match_reply(std::string_view publisher_principal,
                                                           std::string_view topic,
                                                           std::string_view correlation,
                                                           TimePoint now);
  // Calls whose deadline is at or before `now`: the wiring answers each with `timeout`.
  std::vector<OutstandingCall> expire(TimePoint now);
  // Calls forwarded to the node connection `node_client_id` (CallStart::node_client_id) that
  // closed: the wiring answers each with `backend_error` at once (the node may already have
  // acted; see docs/adr/0004-services.md).
  std::vector<OutstandingCall> node_gone(std::string_view node_client_id);
  // Calls of a caller that disconnected: nobody to answer; removed to free its quota.
  std::vector<OutstandingCall> caller_gone(std::string_view caller_client_id);
  // Removes a call that was started but could not be forwarded (no node connection took it):
  // the wiring answers it itself. Its id is remembered, so a stray reply counts as duplicate.
  std::optional<OutstandingCall> abandon(std::string_view id);

  // O(1): deadlines are kept in order, so a timer can ask at every tick.
  std::optional<TimePoint> next_deadline() const;
  std::size_t size() const { return calls_.size(); }
  std::size_t outstanding_for(std::string_view caller_client_id) const;

 private:
  enum class Finished { answered, timed_out };
  std::string random_hex(std::size_t bytes);
  OutstandingCall take(std::unordered_map<std::string, OutstandingCall>::iterator it,
                       Finished how);

  RandomSource random_;
  CallTableLimits limits_;
  std::unordered_map<std::string, OutstandingCall> calls_;  // by call id
  std::set<std::pair<TimePoint, std::string>> by_deadline_;  // (deadline, id) of calls_
  std::map<std::string, std::size_t, std::less<>> per_caller_;
  std::map<std::string, std::size_t, std::less<>> per_node_;  // by CallStart::node_client_id
  std::unordered_map<std::string, Finished> finished_;       // recent ids, bounded
  std::deque<std::string> finished_order_;
};

}  // namespace arkmq::services
