// The request the broker forwards to node N for an outstanding call (docs/protocol.md, "Call").
// Pure function; any thread.
#pragma once

#include "broker/protocol/packets.hpp"
#include "broker/services/call_table.hpp"

namespace arkmq::services {

// `$svc/node/N/call/S/M`, QoS 1, with Response Topic `$svc/reply/N/<id>`, the broker's own
// Correlation Data, Message Expiry = whole seconds left (rounded up, at least 1), and user
// properties `svc-caller` (principal) and `svc-deadline-ms` (milliseconds left). From the
// caller's request only the payload, Content Type and Payload Format Indicator pass: never
// its client id, Response Topic, Correlation Data or user properties.
protocol::Publish forward_request(const OutstandingCall& call,
                                  const protocol::Publish& caller_request, TimePoint now);

}  // namespace arkmq::services
