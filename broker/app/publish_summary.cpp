// PublishSummary: accepted publishes counted per key, one `publish` row per key and interval.
#include "broker/app/publish_summary.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

namespace arkmq::app {
namespace {

// A short multiply-xor hash, 8 bytes a step: it runs on every publish, over ~50 bytes, where
// std::hash (murmur, out of line) cost ~5x the instructions. Not for hostile keys' sake: the map
// holds at most max_keys entries and Equal decides.
std::uint64_t hash_text(std::uint64_t seed, std::string_view text) {
  constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  std::uint64_t h = seed ^ (text.size() * kMul);
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + i, 8);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
  }
  if (i < text.size()) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + i, text.size() - i);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
  }
  return h;
}

}  // namespace

std::size_t PublishSummary::hash_of(const KeyView& key) noexcept {
  // Topic, client id and peer tell keys apart in practice (one connection has one principal
  // and one listener); Equal compares every field.
  std::uint64_t h = static_cast<std::uint64_t>(key.qos) * 2 + (key.retain ? 1 : 0);
  h = hash_text(h, key.topic);
  h = hash_text(h, key.client_id);
  h = hash_text(h, key.peer);
  return static_cast<std::size_t>(h ^ (h >> 32));
}

bool PublishSummary::Equal::same(const KeyView& a, const KeyView& b) noexcept {
  return a.qos == b.qos && a.retain == b.retain && a.topic == b.topic &&
         a.client_id == b.client_id && a.principal == b.principal && a.peer == b.peer &&
         a.listener == b.listener;
}

PublishSummary::PublishSummary(storage::AuditSink& sink, PublishSummaryOptions options)
    : sink_(sink), options_(std::move(options)) {
  options_.shards = std::max<std::size_t>(options_.shards, 1);
  shard_max_keys_ = std::max<std::size_t>(
      (std::max<std::size_t>(options_.max_keys, 1) + options_.shards - 1) / options_.shards, 1);
  shards_ = std::vector<Shard>(options_.shards);
}

std::int64_t PublishSummary::now_us() const {
  if (options_.clock) return options_.clock();
  // The coarse clock (the kernel's tick, a few ms) costs a few ns where system_clock costs ~45
  // ns on this kind of VM, on every publish; a summary's times need no finer resolution.
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
}

namespace {

storage::AuditEvent summary_row(std::string_view client_id, std::string_view principal,
                                std::string_view peer, std::string_view listener,
                                std::string_view topic, int qos, bool retain, std::int64_t first_us,
                                std::int64_t last_us, std::uint64_t count, std::uint64_t bytes,
                                std::uint64_t size_max) {
  storage::AuditEvent event;
  event.time_us = first_us;  // the first publish of the interval
  event.type = storage::AuditType::publish;
  event.outcome = storage::AuditOutcome::allow;
  event.client_id = client_id;
  event.principal = principal;
  event.peer = peer;
  event.listener = listener;
  event.topic = topic;
  // "count" marks a summary row (docs/audit.md); a per-message row has "size" instead.
  event.details = storage::AuditDetails()
                      .add("qos", qos)
                      .add("retain", retain)
                      .add("count", count)
                      .add("bytes", bytes)
                      .add("size_max", size_max)
                      .add("last_us", last_us)
                      .str();
  return event;
}

}  // namespace

void PublishSummary::add(const core::ClientIdentity& who, const core::PublishFacts& message) {
  const std::int64_t now = now_us();
  const auto size = static_cast<std::uint64_t>(message.payload.size());
  KeyView view{who.client_id, who.principal, {}, {}, message.topic, message.qos, message.retain, 0};
  if (who.connection != nullptr) {
    view.peer = who.connection->peer;
    view.listener = who.connection->listener;
  }
  view.hash = hash_of(view);
  Shard& shard = shards_[(view.hash >> 7) % shards_.size()];  // low bits pick the bucket
  std::optional<storage::AuditEvent> due;  // this key's ended interval
  std::vector<storage::AuditEvent> bound;  // the shard's pending rows, when it was full
  {
    std::lock_guard lock(shard.mutex);
    ++shard.stats.publishes;
    auto found = shard.pending.find(view);
    if (found != shard.pending.end()) {
      Counts& counts = found->second;
      if (now - counts.first_us >= options_.interval.count()) {
        // The key's interval ended and tick() has not written it yet: write it, start anew.
        due = summary_row(view.client_id, view.principal, view.peer, view.listener, view.topic,
                          view.qos, view.retain, counts.first_us, counts.last_us, counts.count,
                          counts.bytes, counts.size_max);
        ++shard.stats.rows;
        counts = Counts{now, now, 0, 0, 0};
      }
      ++counts.count;
      counts.bytes += size;
      counts.size_max = std::max(counts.size_max, size);
      counts.last_us = now;
    } else {
      if (shard.pending.size() >= shard_max_keys_) {
        ++shard.stats.bound_flushes;  // bounded memory: written early, never dropped
        bound = take(shard, now, true);
      }
      if (shard.pending.empty()) shard.oldest_us = now;
      shard.pending.emplace(Key{std::string(view.client_id), std::string(view.principal),
                                std::string(view.peer), std::string(view.listener),
                                std::string(view.topic), view.qos, view.retain, view.hash},
                            Counts{now, now, 1, size, size});
    }
  }
  if (due) sink_.submit(std::move(*due));
  if (!bound.empty()) submit(std::move(bound));
}

std::vector<storage::AuditEvent> PublishSummary::take(Shard& shard, std::int64_t now, bool all) {
  std::vector<storage::AuditEvent> rows;
  std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
  for (auto it = shard.pending.begin(); it != shard.pending.end();) {
    const Key& key = it->first;
    const Counts& counts = it->second;
    if (all || now - counts.first_us >= options_.interval.count()) {
      rows.push_back(summary_row(key.client_id, key.principal, key.peer, key.listener, key.topic,
                                 key.qos, key.retain, counts.first_us, counts.last_us, counts.count,
                                 counts.bytes, counts.size_max));
      it = shard.pending.erase(it);
    } else {
      oldest = std::min(oldest, counts.first_us);
      ++it;
    }
  }
  shard.oldest_us = shard.pending.empty() ? 0 : oldest;
  shard.stats.rows += rows.size();
  return rows;
}

void PublishSummary::submit(std::vector<storage::AuditEvent> rows) {
  for (storage::AuditEvent& row : rows) sink_.submit(std::move(row));
}

void PublishSummary::write_due(std::int64_t now, bool all) {
  for (Shard& shard : shards_) {
    std::vector<storage::AuditEvent> rows;
    {
      std::lock_guard lock(shard.mutex);
      // Nothing due: skip the scan (the earliest pending interval has not ended).
      if (shard.pending.empty()) continue;
      if (!all && now - shard.oldest_us < options_.interval.count()) continue;
      rows = take(shard, now, all);
    }
    submit(std::move(rows));
  }
}

void PublishSummary::tick() { write_due(now_us(), false); }

void PublishSummary::flush() { write_due(0, true); }

std::size_t PublishSummary::pending_keys() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.pending.size();
  }
  return total;
}

PublishSummaryStats PublishSummary::stats() const {
  PublishSummaryStats total;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total.rows += shard.stats.rows;
    total.publishes += shard.stats.publishes;
    total.bound_flushes += shard.stats.bound_flushes;
  }
  return total;
}

}  // namespace arkmq::app
