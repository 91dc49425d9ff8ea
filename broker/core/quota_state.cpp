// PrincipalQuotas bookkeeping and the quota $SYS values.
#include "broker/core/quota_state.hpp"

#include "broker/core/retained_store.hpp"
#include "broker/core/session.hpp"

namespace arkmq::core {

std::vector<std::pair<std::string, std::string>> quota_sys_values(const QuotaCounters& counters) {
  const auto load = [](const std::atomic<std::uint64_t>& counter) {
    return std::to_string(counter.load(std::memory_order_relaxed));
  };
  return {
      {"quota/rate_exceeded", load(counters.rate_exceeded)},
      {"quota/quota_exceeded", load(counters.quota_exceeded)},
      {"quota/dropped", load(counters.dropped)},
      {"quota/read_paused", load(counters.read_paused)},
      {"quota/disconnected", load(counters.disconnected)},
      {"quota/refused_connections", load(counters.refused_connections)},
      {"quota/refused_subscriptions", load(counters.refused_subscriptions)},
      {"quota/retained_refused", load(counters.retained_refused)},
      {"quota/queue_dropped", load(counters.queue_dropped)},
      {"quota/backpressure", load(counters.backpressure)},
  };
}

std::size_t PrincipalQuotas::online(std::string_view principal) const {
  const auto found = online_.find(std::string(principal));
  return found == online_.end() ? 0 : found->second;
}

void PrincipalQuotas::add_online(const std::string& principal) { ++online_[principal]; }

void PrincipalQuotas::remove_online(const std::string& principal) {
  const auto found = online_.find(principal);
  if (found == online_.end()) return;
  if (--found->second == 0) online_.erase(found);  // the map holds online principals only
}

PrincipalQuotas::Held PrincipalQuotas::retained_of(const std::string& principal) const {
  const auto found = retained_by_principal_.find(principal);
  return found == retained_by_principal_.end() ? Held{} : found->second.held;
}

PrincipalQuotas::Held PrincipalQuotas::reconcile_retained(const std::string& principal,
                                                          const RetainedStore& store) {
  const auto found = retained_by_principal_.find(principal);
  if (found == retained_by_principal_.end()) return {};
  // Drop what the store no longer holds (expiry, wills, $SYS and restores bypass the handler).
  std::vector<std::string> gone;
  for (const std::string& topic : found->second.topics) {
    const Owned& owned = retained_by_topic_.at(topic);
    const MessagePtr current = store.find(topic);
    if (current == nullptr || current != owned.message.lock()) gone.push_back(topic);
  }
  for (const std::string& topic : gone) forget(topic);
  const auto again = retained_by_principal_.find(principal);
  return again == retained_by_principal_.end() ? Held{} : again->second.held;
}

PrincipalQuotas::Held PrincipalQuotas::retained_if_set(const std::string& principal,
                                                       const std::string& topic,
                                                       std::size_t bytes) const {
  Held held = retained_of(principal);
  const auto found = retained_by_topic_.find(topic);
  if (found != retained_by_topic_.end() && found->second.principal == principal) {
    --held.count;
    held.bytes -= found->second.bytes;
  }
  ++held.count;
  held.bytes += bytes;
  return held;
}

void PrincipalQuotas::release_retained(const std::string& topic) { forget(topic); }

void PrincipalQuotas::record_retained(const std::string& principal, const MessagePtr& message) {
  forget(message->topic);
  const std::size_t bytes = queue_cost(*message);
  retained_by_topic_[message->topic] = Owned{principal, bytes, message};
  PrincipalRetained& mine = retained_by_principal_[principal];
  mine.topics.insert(message->topic);
  ++mine.held.count;
  mine.held.bytes += bytes;
}

void PrincipalQuotas::forget(const std::string& topic) {
  const auto found = retained_by_topic_.find(topic);
  if (found == retained_by_topic_.end()) return;
  const auto owner = retained_by_principal_.find(found->second.principal);
  if (owner != retained_by_principal_.end()) {
    owner->second.topics.erase(topic);
    --owner->second.held.count;
    owner->second.held.bytes -= found->second.bytes;
    if (owner->second.topics.empty()) retained_by_principal_.erase(owner);
  }
  retained_by_topic_.erase(found);
}

}  // namespace arkmq::core
