// BrokerState: everything the Broker shares between worker threads. The mutable data
// (BrokerData) is reachable only through lock(); counters are atomics; config and policy are
// immutable after construction. See docs/adr/0001-core-threading.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/authenticator.hpp"
#include "broker/core/broker.hpp"
#include "broker/core/broker_config.hpp"
#include "broker/core/broker_events.hpp"
#include "broker/core/client_limits.hpp"
#include "broker/core/durable_log.hpp"
#include "broker/core/durable_state.hpp"
#include "broker/core/guarded.hpp"
#include "broker/core/memory_counters.hpp"
#include "broker/core/quota_state.hpp"
#include "broker/core/replay_filter.hpp"
#include "broker/core/retained_store.hpp"
#include "broker/core/service_hub.hpp"
#include "broker/core/session_store.hpp"
#include "broker/core/subscription_tree.hpp"
#include "broker/core/will_scheduler.hpp"

namespace arkmq::core {

// Monotonic counters for BrokerStats and $SYS; relaxed atomics, so no lock on the byte path.
struct StatCounters {
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> messages_sent{0};
  std::atomic<std::uint64_t> messages_dropped{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  QuotaCounters quota;  // flow control ($SYS/broker/quota/..., quota_state.hpp)
  MemoryCounters memory;  // the memory budget ($SYS/broker/memory/..., memory_budget.hpp)

  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
};

// A PublishFacts payload view over a message's bytes.
inline std::span<const std::uint8_t> payload_bytes(std::string_view payload) {
  return {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
}

// The data behind the broker lock.
struct BrokerData {
  SessionStore sessions;
  SubscriptionTree subscriptions;
  RetainedStore retained;
  WillScheduler wills;
  std::size_t clients_connected = 0;
  std::uint64_t assigned_ids = 0;  // counter behind Assigned Client Identifiers
  bool shutting_down = false;
  std::optional<TimePoint> started_at;  // first time the broker saw a clock value
  std::optional<TimePoint> next_sys_at;
  std::vector<MatchedSubscription> match_scratch;  // reused by routing: no allocation per message
  PrincipalQuotas principal_quotas;  // flow control: connections, retained per principal
  DurableLog durable;  // reports to BrokerState::durable(); message ids (durable_log.hpp)
  ServiceHub services;  // $svc/: registry, outstanding calls, call rates (service_hub.hpp)
  ReplayFilter replay;  // edge outbox replays: duplicates dropped (replay_filter.hpp)
};

class BrokerState {
 public:
  BrokerState(BrokerConfig config, std::shared_ptr<Authenticator> authenticator,
              std::shared_ptr<Authorizer> authorizer);

  const BrokerConfig& config() const { return config_; }
  Authenticator& authenticator() { return *authenticator_; }
  Authorizer& authorizer() { return *authorizer_; }
  StatCounters& counters() { return counters_; }
  const StatCounters& counters() const { return counters_; }
  std::uint64_t next_connection_id() { return next_connection_id_.fetch_add(1) + 1; }
  // Never null (a no-op BrokerEvents by default); replaced only before serving.
  BrokerEvents& events() { return *events_; }
  void set_events(std::shared_ptr<BrokerEvents> events) {
    events_ = events ? std::move(events) : std::make_shared<BrokerEvents>();
  }
  const SysExtra& sys_extra() const { return sys_extra_; }
  void set_sys_extra(SysExtra extra) { sys_extra_ = std::move(extra); }

  // Null when nothing is persisted / no per-principal limits; set only before serving.
  DurableState* durable() { return durable_.get(); }
  void set_durable(std::shared_ptr<DurableState> durable) { durable_ = std::move(durable); }
  LimitsProvider* limits() { return limits_.get(); }
  void set_limits(std::shared_ptr<LimitsProvider> limits) { limits_ = std::move(limits); }

  // Graceful stop (Broker::begin_drain, broker_drain.cpp): no new work is taken from then on.
  // Set under the broker lock; the handlers and delivery read it under the lock too.
  bool drain_begun() const { return drain_begun_.load(std::memory_order_relaxed); }
  void set_drain_begun() { drain_begun_.store(true, std::memory_order_relaxed); }

  Guarded<BrokerData>::Locked lock() { return data_.lock(); }

 private:
  const BrokerConfig config_;
  std::shared_ptr<Authenticator> authenticator_;
  std::shared_ptr<Authorizer> authorizer_;
  StatCounters counters_;
  std::atomic<std::uint64_t> next_connection_id_{0};
  std::shared_ptr<BrokerEvents> events_ = std::make_shared<BrokerEvents>();
  SysExtra sys_extra_;
  std::shared_ptr<DurableState> durable_;
  std::shared_ptr<LimitsProvider> limits_;
  std::atomic<bool> drain_begun_{false};
  Guarded<BrokerData> data_;
};

}  // namespace arkmq::core
