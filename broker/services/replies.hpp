// The caller-facing messages: a node's reply relayed to the caller's inbox, and error replies
// (docs/protocol.md, "Reply" and "Errors"). Pure functions; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "broker/protocol/packets.hpp"
#include "broker/services/call_table.hpp"
#include "broker/services/service_status.hpp"

namespace arkmq::services {

inline constexpr std::size_t kMaxDetailProperties = 16;
inline constexpr std::size_t kMaxDetailNameBytes = 64;
inline constexpr std::size_t kMaxDetailValueBytes = 1024;

// The node's reply, relayed: to the caller's Response Topic with the caller's Correlation Data,
// QoS 1, not retained; payload (ok only), Content Type and Payload Format Indicator; user
// properties `svc-status` (the node's `ok`/`backend_error`; anything else becomes
// backend_error), `svc-node`, `svc-latency-ms`, the node's `svc-error` on failure, and up to
// 16 backend details (e.g. `http-status`). Dropped from the node's reply: every other `svc-`
// property (the broker alone sets those), oversized details, Response Topic, expiry, aliases.
protocol::Publish relay_reply(const OutstandingCall& call, const protocol::Publish& node_reply,
                              TimePoint now);

struct ErrorReply {
  std::string_view response_topic;
  std::string_view correlation;
  ServiceStatus status = ServiceStatus::bad_request;
  std::string_view error;                 // empty: default_error_text(status)
  std::optional<std::string_view> node;   // adds `svc-node` when a node was involved
};

// Empty payload, `svc-status`, `svc-error`, QoS 1, not retained.
protocol::Publish error_reply(const ErrorReply& reply);

// The error reply for a call that failed after it was started (timeout, node gone), with
// `svc-node` and `svc-latency-ms`.
protocol::Publish call_error_reply(const OutstandingCall& call, ServiceStatus status,
                                   std::string_view error, TimePoint now);

}  // namespace arkmq::services
