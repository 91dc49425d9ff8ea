// Broker-wide flow-control state: the quota counters ($SYS/broker/quota/...) and what is counted
// per principal (online connections, retained messages set). Owned by the quota-core engineer;
// QuotaCounters are relaxed atomics (any thread), PrincipalQuotas lives in BrokerData (broker lock).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "broker/core/message.hpp"

namespace arkmq::core {

class RetainedStore;

// Monotonic counts of what flow control did; published under $SYS/broker/quota/.
struct QuotaCounters {
  std::atomic<std::uint64_t> rate_exceeded{0};        // PUBLISHes over msgs_per_s (any version)
  std::atomic<std::uint64_t> quota_exceeded{0};       // PUBLISHes over bytes_per_s (any version)
  std::atomic<std::uint64_t> dropped{0};              // QoS 0 PUBLISHes dropped for either rate (v5)
  std::atomic<std::uint64_t> read_paused{0};          // v3.1.1 reads paused for either rate
  std::atomic<std::uint64_t> disconnected{0};         // DISCONNECTs for repeated refusals
  std::atomic<std::uint64_t> refused_connections{0};  // CONNACK 0x97 / 0x03 (max_connections)
  std::atomic<std::uint64_t> refused_subscriptions{0};  // SUBACK 0x97 / 0x80 (max_subscriptions)
  std::atomic<std::uint64_t> retained_refused{0};     // retained messages not stored
  std::atomic<std::uint64_t> queue_dropped{0};        // dropped for a principal's queue limit
  std::atomic<std::uint64_t> backpressure{0};         // publishers paused for a slow subscriber

  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
};

// ("quota/rate_exceeded", "12"), ...: the $SYS topics under $SYS/broker/.
std::vector<std::pair<std::string, std::string>> quota_sys_values(const QuotaCounters& counters);

// Per principal: online connections (max_connections) and the retained messages it set
// (max_retained, max_retained_bytes). Only under the broker lock.
class PrincipalQuotas {
 public:
  // --- connections
  std::size_t online(std::string_view principal) const;
  void add_online(const std::string& principal);
  void remove_online(const std::string& principal);

  // --- retained messages, tracked only for retained PUBLISHes from clients (record_retained).
  struct Held {
    std::size_t count = 0;
    std::size_t bytes = 0;
  };
  // What `principal` is counted for (cheap; may include messages the store dropped since).
  Held retained_of(const std::string& principal) const;
  // The same after forgetting what `store` no longer holds (expired, replaced by a will or
  // $SYS, cleared otherwise): walks the principal's topics, so only when a limit is reached.
  Held reconcile_retained(const std::string& principal, const RetainedStore& store);
  // What `principal` would hold after setting `topic` to a message of `bytes` (a topic it holds
  // already is replaced, not added).
  Held retained_if_set(const std::string& principal, const std::string& topic,
                       std::size_t bytes) const;
  // The retained message of `topic` is about to be replaced or cleared by a client PUBLISH:
  // its owner (if tracked) no longer holds it.
  void release_retained(const std::string& topic);
  // `message` (stored for its topic) now belongs to `principal`.
  void record_retained(const std::string& principal, const MessagePtr& message);

 private:
  struct Owned {
    std::string principal;
    std::size_t bytes = 0;
    std::weak_ptr<const Message> message;  // to see that the store no longer holds it
  };
  struct PrincipalRetained {
    Held held;
    std::unordered_set<std::string> topics;
  };
  void forget(const std::string& topic);

  std::unordered_map<std::string, std::size_t> online_;
  std::unordered_map<std::string, Owned> retained_by_topic_;
  std::unordered_map<std::string, PrincipalRetained> retained_by_principal_;
};

}  // namespace arkmq::core
