// Metrics: the broker's event counters for /metrics and $SYS (docs/metrics.md): connections,
// logins, messages in per listener, ACL denials, quota hits, service calls and drops. A
// core::BrokerEvents sink in the fan-out: called on worker threads at line rate, sometimes under
// the broker lock, so it only bumps atomics (service calls: a short mutex) and never calls the
// Broker. Read from any thread. Owner: ops-metrics.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/app/listener_counters.hpp"
#include "broker/app/service_call_stats.hpp"
#include "broker/core/broker_events.hpp"

namespace arkmq::app {

// Why the broker dropped a `$svc/` message (BrokerEvents::service_dropped), by class: the `why`
// texts carry details (names, parse errors) that must not become label values.
enum class ServiceDropClass { late, duplicate, unsolicited, misdirected, bad_announcement, bad_call };
inline constexpr std::size_t kServiceDropClasses = 6;
std::string_view to_string(ServiceDropClass drop);
ServiceDropClass classify_service_drop(std::string_view why);

// Label names of the core's enums are core::to_string's, as in the audit journal.
// "not authorized" -> "not_authorized": a reason code as a label value.
std::string label_of(protocol::ReasonCode code);

inline constexpr std::size_t kDeniedActions = 4;   // core::DeniedAction
inline constexpr std::size_t kQuotaKinds = 8;      // core::QuotaKind
inline constexpr std::size_t kInitiators = 3;      // core::DisconnectInitiator

class Metrics final : public core::BrokerEvents {
 public:
  // The workers' loop lag (net::Worker::loop_lag), one per worker; set by main once the server
  // exists. Any thread.
  using LoopLagSource = std::function<std::vector<std::chrono::microseconds>()>;

  // --- core::BrokerEvents (worker threads)
  void connection_accepted(const core::ConnectionInfo& connection) override;
  void login(const core::ClientIdentity& who, std::optional<std::string_view> username,
             protocol::ReasonCode result, std::string_view why) override;
  void disconnected(const core::ClientIdentity& who, protocol::ReasonCode reason,
                    core::DisconnectInitiator by, std::string_view why) override;
  void published(const core::ClientIdentity& who, const core::PublishFacts& message) override;
  void denied(const core::ClientIdentity& who, core::DeniedAction action, std::string_view topic,
              const core::PublishFacts* message) override;
  void quota_hit(const core::ClientIdentity& who, core::QuotaKind kind,
                 std::string_view detail) override;
  void service_call(const core::ClientIdentity& caller,
                    const core::ServiceCallFacts& call) override;
  void service_dropped(const core::ClientIdentity& who, std::string_view topic,
                       std::string_view why) override;

  // Lists `listener` (a bound URL) from now on, at 0 until its first connection. Any thread.
  void add_listener(std::string_view listener) { listeners_.of(listener); }
  // The counters of one listener, for the byte meter of its connections (metered_handler.hpp).
  ListenerCounters::Counters& listener_counters(std::string_view listener) {
    return listeners_.of(listener);
  }

  // --- reading (any thread)
  std::vector<ListenerCounters::Values> listeners() const { return listeners_.values(); }
  // Non-zero login counts by result, in reason code order.
  std::vector<std::pair<protocol::ReasonCode, std::uint64_t>> logins() const;
  std::uint64_t denials(core::DeniedAction action) const;
  std::uint64_t denials_total() const;
  std::uint64_t quota_hits(core::QuotaKind kind) const;
  std::uint64_t disconnects(core::DisconnectInitiator by) const;
  std::uint64_t service_drops(ServiceDropClass drop) const;
  const ServiceCallStats& service_calls() const { return service_calls_; }

  void set_loop_lag_source(LoopLagSource source);
  std::vector<std::chrono::microseconds> loop_lags() const;  // empty until a source is set

 private:
  static void add(std::atomic<std::uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }

  ListenerCounters listeners_;
  std::array<std::atomic<std::uint64_t>, 256> logins_{};  // by CONNACK reason byte
  std::array<std::atomic<std::uint64_t>, kDeniedActions> denials_{};
  std::array<std::atomic<std::uint64_t>, kQuotaKinds> quota_hits_{};
  std::array<std::atomic<std::uint64_t>, kInitiators> disconnects_{};
  std::array<std::atomic<std::uint64_t>, kServiceDropClasses> service_drops_{};
  ServiceCallStats service_calls_;
  mutable std::mutex lag_mutex_;
  LoopLagSource loop_lags_;  // guarded by lag_mutex_
};

// Every QuotaKind / DeniedAction / DisconnectInitiator / ServiceDropClass, for rendering.
inline constexpr std::array<core::QuotaKind, kQuotaKinds> kAllQuotaKinds = {
    core::QuotaKind::message_rate, core::QuotaKind::bandwidth,    core::QuotaKind::receive_maximum,
    core::QuotaKind::packet_size,  core::QuotaKind::queue,        core::QuotaKind::subscriptions,
    core::QuotaKind::connections,  core::QuotaKind::retained};
inline constexpr std::array<core::DeniedAction, kDeniedActions> kAllDeniedActions = {
    core::DeniedAction::publish, core::DeniedAction::subscribe, core::DeniedAction::receive,
    core::DeniedAction::will};
inline constexpr std::array<core::DisconnectInitiator, kInitiators> kAllInitiators = {
    core::DisconnectInitiator::client, core::DisconnectInitiator::broker,
    core::DisconnectInitiator::transport};
inline constexpr std::array<ServiceDropClass, kServiceDropClasses> kAllServiceDropClasses = {
    ServiceDropClass::late,        ServiceDropClass::duplicate,        ServiceDropClass::unsolicited,
    ServiceDropClass::misdirected, ServiceDropClass::bad_announcement, ServiceDropClass::bad_call};

}  // namespace arkmq::app
