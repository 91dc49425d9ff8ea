// What the core reports as it happens: logins, disconnects, subscriptions, publishes and ACL
// denials, for the audit journal (and later metrics). Called on worker threads, sometimes under
// the broker lock: implementations copy what they need into a queue and return at once; they
// never block and never call back into the Broker. Every method has an empty default.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "broker/core/connection_info.hpp"
#include "broker/protocol/reason_code.hpp"

namespace arkmq::core {

// Who an event is about. `connection` is null for a session that is offline (a will firing
// after the client left, a receive denial for a queued delivery).
struct ClientIdentity {
  std::string_view client_id;
  std::string_view principal;  // empty: anonymous, or not authenticated yet
  const ConnectionInfo* connection = nullptr;
};

enum class DisconnectInitiator { client, broker, transport };
enum class DeniedAction { publish, subscribe, receive, will };
// "client", "broker", "transport" / "publish", "subscribe", "receive", "will": the names used
// in audit details, metric labels, $SYS topics and the status page.
std::string_view to_string(DisconnectInitiator by);
std::string_view to_string(DeniedAction action);

// Which flow-control limit a quota_hit is about (docs/flow-control.md).
enum class QuotaKind {
  message_rate,     // msgs_per_s: PUBLISH refused 0x96 / dropped / v3.1.1 read paused
  bandwidth,        // bytes_per_s: PUBLISH refused 0x97 / dropped / v3.1.1 read paused
  receive_maximum,  // max_inflight: DISCONNECT 0x93
  packet_size,      // max_packet_size: DISCONNECT 0x95
  queue,            // max_queued / max_queued_bytes: a message dropped for the session
  subscriptions,    // max_subscriptions: SUBACK 0x97
  connections,      // max_connections: CONNACK 0x97
  retained,         // max_retained / max_retained_bytes: retained message not stored
};
// "message_rate", "bandwidth", ...: the names in audit details and logs.
std::string_view to_string(QuotaKind kind);

struct PublishFacts {
  std::string_view topic;
  std::uint8_t qos = 0;
  bool retain = false;
  std::span<const std::uint8_t> payload;  // valid only during the call
};

// One finished service call (docs/protocol.md, "Call"): answered by the node, refused by the
// broker, timed out, or lost with its node. Views valid only during the call.
struct ServiceCallFacts {
  std::string_view service;
  std::string_view method;
  std::string_view node;         // empty when no node was selected
  std::string_view status;       // services::to_string(ServiceStatus): "ok", "denied", ...
  std::string_view error;        // the `svc-error` text sent to the caller (empty on ok)
  std::string_view correlation;  // the caller's Correlation Data, raw bytes (journal: hex)
  std::chrono::microseconds latency{0};  // from the call's PUBLISH to its reply or error
  std::size_t request_bytes = 0;
  std::size_t reply_bytes = 0;
};

class BrokerEvents {
 public:
  virtual ~BrokerEvents() = default;

  // A transport connection (after its TLS handshake) reached the core; no MQTT byte yet.
  virtual void connection_accepted(const ConnectionInfo& /*connection*/) {}
  // A CONNECT was answered. `result` is success or the CONNACK reason; `username` as sent (never
  // the password); `why` is the authenticator's explanation.
  virtual void login(const ClientIdentity& /*who*/, std::optional<std::string_view> /*username*/,
                     protocol::ReasonCode /*result*/, std::string_view /*why*/) {}
  // A connected client's connection ended (not called for refused CONNECTs).
  virtual void disconnected(const ClientIdentity& /*who*/, protocol::ReasonCode /*reason*/,
                            DisconnectInitiator /*by*/, std::string_view /*why*/) {}
  // One event per filter of a SUBSCRIBE / UNSUBSCRIBE with its result code.
  virtual void subscribed(const ClientIdentity& /*who*/, std::string_view /*filter*/,
                          protocol::ReasonCode /*result*/) {}
  virtual void unsubscribed(const ClientIdentity& /*who*/, std::string_view /*filter*/,
                            protocol::ReasonCode /*result*/) {}
  // A PUBLISH the broker accepted and routed.
  virtual void published(const ClientIdentity& /*who*/, const PublishFacts& /*message*/) {}
  // The authorizer said no: a publish, a subscription, a delivery or a will.
  virtual void denied(const ClientIdentity& /*who*/, DeniedAction /*action*/,
                      std::string_view /*topic*/, const PublishFacts* /*message*/) {}
  // A flow-control limit of the client's principal was hit; `detail` says what happened
  // ("publish refused 0x96 on topic t", ...). Can fire at line rate: implementations rate-limit.
  virtual void quota_hit(const ClientIdentity& /*who*/, QuotaKind /*kind*/,
                         std::string_view /*detail*/) {}
  // A service call ended (one event per call, including refused ones that could be answered).
  // `caller` may be offline (connection null) when a timeout fires after it left.
  virtual void service_call(const ClientIdentity& /*caller*/, const ServiceCallFacts& /*call*/) {}
  // A `$svc/` message the broker dropped without a call to report: an unsolicited, late,
  // duplicate or misdirected reply ("late", "unsolicited", ...), a rejected announcement ("bad
  // announcement: ..."), a call that cannot be answered ("service calls need MQTT 5").
  // Can fire at line rate: implementations rate-limit.
  virtual void service_dropped(const ClientIdentity& /*who*/, std::string_view /*topic*/,
                               std::string_view /*why*/) {}
  // The registry changed: `service` is now offered by `nodes_available` nodes (metrics).
  virtual void service_registry_changed(std::string_view /*service*/,
                                        std::size_t /*nodes_available*/) {}
};

}  // namespace arkmq::core
