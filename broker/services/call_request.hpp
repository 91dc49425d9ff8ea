// Validation of a caller's PUBLISH to `$svc/call/S/M` (docs/protocol.md, "Call"): MQTT 5, the
// inbox rule, Correlation Data, `svc-` properties, the deadline. Pure functions; any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "broker/protocol/packets.hpp"
#include "broker/services/service_status.hpp"

namespace arkmq::services {

inline constexpr std::size_t kMaxCorrelationBytes = 256;
inline constexpr std::chrono::milliseconds kDefaultCallTimeout{10'000};
inline constexpr std::chrono::milliseconds kMaxCallTimeout{60'000};

struct CallRequest {
  std::string service;
  std::string method;
  std::string response_topic;  // inside the caller's `$svc/inbox/C/`
  std::string correlation;     // 1..256 bytes, echoed to the caller
  std::optional<std::string> pinned_node;  // `svc-node`
  std::chrono::milliseconds timeout = kDefaultCallTimeout;  // after Message Expiry shortening
};

struct CallRejection {
  ServiceStatus status = ServiceStatus::bad_request;
  std::string reason;  // for `svc-error` and the journal
  // Whether an error reply can be sent: false when the request has no usable Response Topic
  // or Correlation Data (or is MQTT 3.1.1), in which case the wiring drops and logs it.
  bool can_reply = false;
};

struct CallerView {
  protocol::ProtocolVersion version = protocol::ProtocolVersion::v5;
  std::string_view client_id;
};

// `publish.topic` must be the resolved topic (after any topic alias). Checks, in order: MQTT 5
// ("service calls need MQTT 5"), the topic, not retained, the Response Topic inside the caller's
// inbox, Correlation Data, then the `svc-` user properties and the deadline. A retained call is
// refused: the broker would otherwise keep it as a retained message.
tl::expected<CallRequest, CallRejection> validate_call(const protocol::Publish& publish,
                                                       const CallerView& caller);

}  // namespace arkmq::services
