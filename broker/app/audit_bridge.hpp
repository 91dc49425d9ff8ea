// Turns what the core reports (core::BrokerEvents) and TLS handshake failures into audit journal
// rows (storage::AuditEvent, types and details as in docs/audit.md). Thread-safe: called on every
// worker, sometimes under the broker lock; it builds the row, submits it and returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/app/publish_summary.hpp"
#include "broker/core/broker_events.hpp"
#include "storage/audit_journal.hpp"

namespace arkmq::app {

struct AuditBridgeOptions {
  bool publishes = true;                      // journal accepted publishes
  // With `publishes`: one summary row per key and interval (PublishSummary) instead of one row
  // per message ([audit] publishes = "summary"); captured topics keep one row per message.
  bool summarize_publishes = false;
  PublishSummaryOptions summary;
  std::vector<std::string> capture_payloads;  // topic filters whose payloads are kept
  // acl_denial rows per client and second at most; the rest are counted ("suppressed") in the
  // client's next acl_denial row. Receive denials can flood (a restricted '#' subscriber).
  std::size_t denials_per_second = 20;
  std::function<std::chrono::steady_clock::time_point()> clock;  // empty: steady_clock::now
};

class AuditBridge final : public core::BrokerEvents {
 public:
  // `sink` outlives the bridge (and every thread that calls it).
  AuditBridge(storage::AuditSink& sink, AuditBridgeOptions options);

  void connection_accepted(const core::ConnectionInfo& connection) override;
  void login(const core::ClientIdentity& who, std::optional<std::string_view> username,
             protocol::ReasonCode result, std::string_view why) override;
  void disconnected(const core::ClientIdentity& who, protocol::ReasonCode reason,
                    core::DisconnectInitiator by, std::string_view why) override;
  void subscribed(const core::ClientIdentity& who, std::string_view filter,
                  protocol::ReasonCode result) override;
  void unsubscribed(const core::ClientIdentity& who, std::string_view filter,
                    protocol::ReasonCode result) override;
  void published(const core::ClientIdentity& who, const core::PublishFacts& message) override;
  void denied(const core::ClientIdentity& who, core::DeniedAction action, std::string_view topic,
              const core::PublishFacts* message) override;
  // A quota_hit row: details {"quota": kind, "detail": ..., "suppressed": N}. At most one row
  // per second per client id and kind; the hits in between are counted into the next row.
  void quota_hit(const core::ClientIdentity& who, core::QuotaKind kind,
                 std::string_view detail) override;
  // One service_call row per call: topic $svc/call/S/M; outcome allow (ok), deny (denied,
  // quota_exceeded) or error; details caller, service, method, node, correlation (hex), status,
  // latency_us, request_bytes, reply_bytes, error.
  void service_call(const core::ClientIdentity& caller, const core::ServiceCallFacts& call) override;
  // A service_call row with outcome error and details {"dropped": why, "suppressed": N}: at most
  // one row per second per client id (as quota_hit rows); the drops in between are counted.
  void service_dropped(const core::ClientIdentity& who, std::string_view topic,
                       std::string_view why) override;
  // Nothing to journal: passed on to the gauge set with set_service_nodes (for $SYS).
  void service_registry_changed(std::string_view service, std::size_t nodes_available) override;
  // Before serving: where registry changes go (may be null).
  void set_service_nodes(std::shared_ptr<core::BrokerEvents> gauge) { service_nodes_ = std::move(gauge); }

  // For net::ServerOptions::on_tls_failure.
  void tls_failure(const core::ConnectionInfo& connection, std::string_view reason);

  // True when a payload on `topic` is kept (a capture_payloads filter matches it).
  bool captures(std::string_view topic) const;

  // Summary mode: writes the publish summary rows whose interval ended (call every 250 ms).
  void tick_publish_summary();
  // Summary mode: writes every pending summary row (at shutdown, before the journal's flush).
  void flush_publish_summary();

 private:
  // Per client: the current one-second window of acl_denial rows.
  struct DenialWindow {
    std::chrono::steady_clock::time_point start;
    std::size_t written = 0;
    std::uint64_t suppressed = 0;
  };
  // nullopt: over the limit (counted); else how many were suppressed before this one.
  std::optional<std::uint64_t> admit_denial(std::string_view client_id);
  // The same for quota_hit rows, one per second per client id and kind.
  std::optional<std::uint64_t> admit_quota_hit(std::string_view client_id, core::QuotaKind kind);
  // One row per second per key (quota_hit and service_dropped rows).
  std::optional<std::uint64_t> admit_once_per_second(std::string key);
  std::chrono::steady_clock::time_point now() const;

  storage::AuditSink& sink_;
  AuditBridgeOptions options_;
  std::unique_ptr<PublishSummary> summary_;  // null unless summarize_publishes
  std::mutex denials_mutex_;
  std::unordered_map<std::string, DenialWindow> denials_;  // guarded by denials_mutex_
  std::mutex quota_hits_mutex_;
  // Key: client id + '\0' + kind; guarded by quota_hits_mutex_.
  std::unordered_map<std::string, DenialWindow> quota_hits_;
  std::shared_ptr<core::BrokerEvents> service_nodes_;  // set before serving
};

// "password", "certificate" or "anonymous": how a login was (or would have been) decided.
std::string_view login_method(const core::ConnectionInfo* connection,
                              std::optional<std::string_view> username, std::string_view principal,
                              bool accepted);

}  // namespace arkmq::app
