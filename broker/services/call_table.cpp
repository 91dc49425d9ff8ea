// CallTable: ids, matching, deadlines, bounds. One broker thread.
#include "broker/services/call_table.hpp"

#include <array>
#include <utility>

#include "broker/services/names.hpp"

namespace arkmq::services {

namespace {
constexpr std::size_t kIdBytes = 16;           // 128 bits: not guessable by another node
constexpr std::size_t kCorrelationBytes = 8;
constexpr int kIdAttempts = 4;                 // a collision of 128 random bits is a broken RNG
}  // namespace

std::string_view to_string(ReplyMismatch mismatch) {
  switch (mismatch) {
    case ReplyMismatch::not_a_reply_topic: return "not a reply topic";
    case ReplyMismatch::wrong_node: return "reply from the wrong node";
    case ReplyMismatch::wrong_correlation: return "reply with the wrong correlation data";
    case ReplyMismatch::late: return "late reply";
    case ReplyMismatch::duplicate: return "duplicate reply";
    case ReplyMismatch::unsolicited: return "unsolicited reply";
  }
  return "unsolicited reply";
}

CallTable::CallTable(RandomSource random, CallTableLimits limits)
    : random_(std::move(random)), limits_(limits) {}

std::string CallTable::random_hex(std::size_t bytes) {
  std::array<std::uint8_t, kIdBytes> buffer{};
  const std::span<std::uint8_t> out(buffer.data(), bytes);
  random_(out);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes * 2);
  for (const auto byte : out) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0F]);
  }
  return hex;
}

tl::expected<const OutstandingCall*, ServiceStatus> CallTable::start(CallStart request,
                                                                     TimePoint now) {
  if (calls_.size() >= limits_.max_total ||
      outstanding_for(request.caller_client_id) >= limits_.max_per_caller) {
    return tl::make_unexpected(ServiceStatus::quota_exceeded);
  }
  std::string id;
  std::string correlation;
  // The source may throw when no secure randomness is left (see RandomSource): the one place
  // an exception is turned into a value, before anything is stored.
  try {
    for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
      auto candidate = random_hex(kIdBytes);
      if (!calls_.contains(candidate) && !finished_.contains(candidate)) {
        id = std::move(candidate);
        break;
      }
    }
    if (!id.empty()) correlation = random_hex(kCorrelationBytes);
  } catch (...) {
    return tl::make_unexpected(ServiceStatus::backend_error);
  }
  if (id.empty()) return tl::make_unexpected(ServiceStatus::backend_error);
  OutstandingCall call;
  call.id = id;
  call.correlation = std::move(correlation);
  call.reply_topic = node_reply_topic(request.node, id);
  call.started = now;
  call.request = std::move(request);
  ++per_caller_[call.request.caller_client_id];
  ++per_node_[call.request.node_client_id];
  by_deadline_.emplace(call.request.deadline, id);
  const auto [it, inserted] = calls_.emplace(id, std::move(call));
  return &it->second;
}

std::size_t CallTable::outstanding_for(std::string_view caller_client_id) const {
  const auto it = per_caller_.find(caller_client_id);
  return it == per_caller_.end() ? 0 : it->second;
}

OutstandingCall CallTable::take(std::unordered_map<std::string, OutstandingCall>::iterator it,
                                Finished how) {
  OutstandingCall call = std::move(it->second);
  calls_.erase(it);
  by_deadline_.erase({call.request.deadline, call.id});
  const auto count = per_caller_.find(call.request.caller_client_id);
  if (count != per_caller_.end() && --count->second == 0) per_caller_.erase(count);
  const auto node = per_node_.find(call.request.node_client_id);
  if (node != per_node_.end() && --node->second == 0) per_node_.erase(node);
  // Remember the id (bounded) so that a reply arriving afterwards is reported precisely.
  if (limits_.remembered_ids > 0) {
    if (finished_order_.size() >= limits_.remembered_ids) {
      finished_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
    finished_.emplace(call.id, how);
    finished_order_.push_back(call.id);
  }
  return call;
}

tl::expected<OutstandingCall, ReplyMismatch> CallTable::match_reply(
    std::string_view publisher_principal, std::string_view topic, std::string_view correlation,
    TimePoint now) {
  const auto target = parse_reply_topic(topic);
  if (!target) return tl::make_unexpected(ReplyMismatch::not_a_reply_topic);
  if (target->node != publisher_principal) return tl::make_unexpected(ReplyMismatch::wrong_node);
  const auto it = calls_.find(target->call_id);
  if (it == calls_.end()) {
    const auto done = finished_.find(target->call_id);
    if (done == finished_.end()) return tl::make_unexpected(ReplyMismatch::unsolicited);
    return tl::make_unexpected(done->second == Finished::timed_out ? ReplyMismatch::late
                                                                   : ReplyMismatch::duplicate);
  }
  const OutstandingCall& call = it->second;
  if (call.request.node != target->node) return tl::make_unexpected(ReplyMismatch::wrong_node);
  if (call.correlation != correlation) {
    return tl::make_unexpected(ReplyMismatch::wrong_correlation);
  }
  if (now >= call.request.deadline) return tl::make_unexpected(ReplyMismatch::late);
  return take(it, Finished::answered);
}

std::vector<OutstandingCall> CallTable::expire(TimePoint now) {
  std::vector<OutstandingCall> out;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    const auto it = calls_.find(by_deadline_.begin()->second);
    if (it == calls_.end()) {  // cannot happen: take() keeps both in step
      by_deadline_.erase(by_deadline_.begin());
      continue;
    }
    out.push_back(take(it, Finished::timed_out));
  }
  return out;
}

std::vector<OutstandingCall> CallTable::node_gone(std::string_view node_client_id) {
  std::vector<OutstandingCall> out;
  // Every connection close asks: answer those that served nothing without a scan.
  if (per_node_.find(node_client_id) == per_node_.end()) return out;
  for (auto it = calls_.begin(); it != calls_.end();) {
    const auto next = std::next(it);
    if (it->second.request.node_client_id == node_client_id) {
      out.push_back(take(it, Finished::answered));
    }
    it = next;
  }
  return out;
}

std::vector<OutstandingCall> CallTable::caller_gone(std::string_view caller_client_id) {
  std::vector<OutstandingCall> out;
  if (outstanding_for(caller_client_id) == 0) return out;  // the common case, without a scan
  for (auto it = calls_.begin(); it != calls_.end();) {
    const auto next = std::next(it);
    if (it->second.request.caller_client_id == caller_client_id) {
      out.push_back(take(it, Finished::answered));
    }
    it = next;
  }
  return out;
}

std::optional<OutstandingCall> CallTable::abandon(std::string_view id) {
  const auto it = calls_.find(std::string(id));
  if (it == calls_.end()) return std::nullopt;
  return take(it, Finished::answered);
}

std::optional<TimePoint> CallTable::next_deadline() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first;
}

}  // namespace arkmq::services
