// Counts accepted publishes per (client, principal, peer, listener, topic, QoS, retain) and writes
// one summary `publish` row per key and interval ([audit] publishes = "summary"). Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/core/broker_events.hpp"
#include "storage/audit_journal.hpp"

namespace arkmq::app {

struct PublishSummaryOptions {
  // A key's row covers at most this long: the interval starts with the first publish counted.
  std::chrono::microseconds interval = std::chrono::seconds(1);
  // Keys pending at most; a new key beyond this writes the pending rows of its shard at once
  // (never drops). Each shard holds up to max_keys / shards keys.
  std::size_t max_keys = 10000;
  // Independent maps, each under its own mutex, chosen by the key's hash: workers counting
  // different keys do not queue behind one lock (measured: one mutex shared by 2 threads made an
  // add ~3-5x slower). 1: one map, one mutex.
  std::size_t shards = 16;
  std::function<std::int64_t()> clock;  // UTC microseconds; empty: CLOCK_REALTIME_COARSE
};

struct PublishSummaryStats {
  std::uint64_t rows = 0;           // summary rows written
  std::uint64_t publishes = 0;      // publishes counted (all of them are in rows once flushed)
  std::uint64_t bound_flushes = 0;  // times a shard was full and its rows were written early
};

class PublishSummary {
 public:
  // `sink` outlives this object.
  PublishSummary(storage::AuditSink& sink, PublishSummaryOptions options);
  ~PublishSummary() = default;
  PublishSummary(const PublishSummary&) = delete;
  PublishSummary& operator=(const PublishSummary&) = delete;

  // Any worker, per accepted publish: a lookup without allocation when the key is pending.
  void add(const core::ClientIdentity& who, const core::PublishFacts& message);
  // Periodically (the app's 250 ms timer): writes the rows whose interval has ended.
  void tick();
  // Writes every pending row (shutdown, before the journal's flush; tests).
  void flush();

  std::size_t pending_keys() const;
  PublishSummaryStats stats() const;

 private:
  // The owned key, and a view of it for lookups without allocation (heterogeneous lookup). Both
  // carry their hash, computed once per publish (it also picks the shard).
  struct KeyView {
    std::string_view client_id, principal, peer, listener, topic;
    std::uint8_t qos = 0;
    bool retain = false;
    std::size_t hash = 0;
  };
  struct Key {
    std::string client_id, principal, peer, listener, topic;
    std::uint8_t qos = 0;
    bool retain = false;
    std::size_t hash = 0;
    KeyView view() const { return {client_id, principal, peer, listener, topic, qos, retain, hash}; }
  };
  struct Counts {
    std::int64_t first_us = 0;
    std::int64_t last_us = 0;
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
    std::uint64_t size_max = 0;
  };
  static std::size_t hash_of(const KeyView& key) noexcept;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(const KeyView& key) const noexcept { return key.hash; }
    std::size_t operator()(const Key& key) const noexcept { return key.hash; }
  };
  struct Equal {
    using is_transparent = void;
    static bool same(const KeyView& a, const KeyView& b) noexcept;
    bool operator()(const KeyView& a, const Key& b) const noexcept { return same(a, b.view()); }
    bool operator()(const Key& a, const KeyView& b) const noexcept { return same(a.view(), b); }
    bool operator()(const Key& a, const Key& b) const noexcept { return same(a.view(), b.view()); }
  };
  using Map = std::unordered_map<Key, Counts, Hash, Equal>;

  // One map and its lock; on its own cache lines so that two workers' shards do not share one.
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    Map pending;                 // guarded by mutex
    std::int64_t oldest_us = 0;  // a lower bound of the first_us pending; guarded by mutex
    PublishSummaryStats stats;   // guarded by mutex
  };

  std::int64_t now_us() const;
  // Moves the rows of a shard's keys whose interval ended by `now` (all when `all`) out of it.
  std::vector<storage::AuditEvent> take(Shard& shard, std::int64_t now, bool all);  // locked
  void submit(std::vector<storage::AuditEvent> rows);  // outside every shard's mutex
  void write_due(std::int64_t now, bool all);

  storage::AuditSink& sink_;
  PublishSummaryOptions options_;
  std::size_t shard_max_keys_ = 1;
  std::vector<Shard> shards_;  // fixed size after construction
};

}  // namespace arkmq::app
