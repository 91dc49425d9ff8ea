// Service calls as the cloud broker forwards them (docs/protocol.md, "Call" and "Reply"): parse
// `$svc/node/N/call/S/M`, validate the request, compute its deadline, build the reply. Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "edge-client/backend.hpp"
#include "edge-client/message.hpp"

namespace arkmq::edge {

struct CallTopic {
  std::string node;
  std::string service;
  std::string method;
};

// "$svc/node/N/call/S/M" -> {N, S, M}; nullopt for anything else.
std::optional<CallTopic> parse_call_topic(std::string_view topic);
// "$svc/node/N/call/#": what node N subscribes to at the cloud.
std::string call_subscription(const std::string& node);
// "$svc/reply/N/": the only prefix a reply may be published under.
std::string reply_prefix(const std::string& node);

struct CallRequest {
  CallTopic target;
  std::string payload;
  std::string content_type;
  std::optional<std::uint8_t> payload_format;
  std::string response_topic;
  std::string correlation_data;
  std::string caller;                 // svc-caller, for the local log only
  std::chrono::milliseconds budget;   // time left for the backend exchange
};

// Why a forwarded call cannot be answered at all (no reply is possible without a Response
// Topic in our reply namespace and Correlation Data); the edge logs it and drops the message.
// The budget is the smallest of: `svc-deadline-ms` (read as milliseconds left when the broker
// forwarded the call: edge and cloud clocks are never compared), the Message Expiry Interval,
// and the service's own `timeout`.
tl::expected<CallRequest, std::string> parse_call(const EdgeMessage& message,
                                                  const std::string& node,
                                                  std::chrono::milliseconds service_timeout);

// The reply to publish (QoS 1): to the Response Topic, with the Correlation Data, `svc-status`
// (`ok` or `backend_error`), `svc-error` on failure (empty payload then) and the backend details.
EdgeMessage build_reply(const CallRequest& request, const BackendResult& result);
// A failure reply that needs no backend (unknown service or method).
EdgeMessage build_error_reply(const CallRequest& request, std::string error);

std::string to_string(CallStatus status);

}  // namespace arkmq::edge
