// The SQLite store-and-forward outbox for QoS 1 messages bridged to the cloud (docs/edge.md,
// "Outbox"). Thread-safe: one connection behind a mutex (the local Paho callback stores, the
// cloud link reads and deletes). Every row is committed before store() returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "edge-client/message.hpp"
#include "storage/sqlite.hpp"

namespace arkmq::edge {

struct OutboxLimits {
  std::int64_t max_messages = 100'000;
  std::int64_t max_bytes = 64 * 1024 * 1024;  // topic + payload + properties, as stored
};

struct OutboxEntry {
  std::int64_t seq = 0;   // per-node sequence number, strictly increasing, never reused
  EdgeMessage message;
  bool from_earlier_run = false;  // stored before this process opened the outbox: maybe sent
};

struct OutboxStats {
  std::int64_t depth = 0;
  std::int64_t bytes = 0;
  std::int64_t dropped_oldest = 0;  // evicted by the bound since this process started
  std::int64_t refused = 0;         // single messages larger than max_bytes
};

class Outbox {
 public:
  // Creates the file (mode 0600) and its table when missing.
  static tl::expected<std::unique_ptr<Outbox>, std::string> open(const std::string& path,
                                                                 OutboxLimits limits);

  // Stores the message durably and returns its sequence number. Bound policy: when the new row
  // takes the outbox over max_messages or max_bytes, the OLDEST rows are deleted (and counted in
  // dropped_oldest): fresh telemetry is worth more than stale. A message larger than max_bytes
  // on its own is refused (counted in `refused`).
  tl::expected<std::int64_t, std::string> store(const EdgeMessage& message);
  // Up to `limit` rows with seq > after, oldest first.
  tl::expected<std::vector<OutboxEntry>, std::string> read_after(std::int64_t after,
                                                                 std::size_t limit);
  // After the cloud's PUBACK. Removing a row that is gone (evicted) is not an error.
  tl::expected<void, std::string> remove(std::int64_t seq);
  OutboxStats stats() const;
  // When the oldest row was stored (wall clock: rows outlive the process); nullopt when empty.
  std::optional<std::chrono::system_clock::time_point> oldest_stored_at() const;
  // A random id made when the file was created: (node, epoch, seq) names a message for ever,
  // even if the file is deleted and sequence numbers start again at 1.
  const std::string& epoch() const { return epoch_; }

 private:
  explicit Outbox(storage::Database db, OutboxLimits limits);
  tl::expected<void, std::string> enforce_bound();

  mutable std::mutex mutex_;
  mutable storage::Database db_;  // oldest_stored_at() reads through it under the mutex
  OutboxLimits limits_;
  OutboxStats stats_;
  std::int64_t last_seq_at_open_ = 0;
  std::string epoch_;
};

}  // namespace arkmq::edge
