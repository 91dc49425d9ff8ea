// The services layer's entry points for the core's handlers: client PUBLISHes to `$svc/`, a
// connection closing, the timers (docs/adr/0004-services.md, "What the wiring must do").
// Called only under the broker lock, from the thread that holds it (svc-core).
#pragma once

#include <string_view>

#include "broker/core/broker_state.hpp"
#include "broker/core/connection_state.hpp"
#include "broker/core/delivery.hpp"
#include "broker/protocol/packets.hpp"
#include "broker/protocol/reason_code.hpp"

namespace arkmq::core {

// `$svc/call/...`, `$svc/announce/...`, `$svc/reply/...`: the only `$` topics a client may
// publish to (the Authorizer then decides; the service grants compile to exactly these).
// Everything else under `$` (`$svc/inbox/`, `$svc/registry/`, `$svc/node/`, `$SYS/`) is the
// broker's own.
bool is_client_service_topic(std::string_view topic);

// A PUBLISH to a client service topic that passed the Authorizer and the publish quota: handled
// by the services layer and never routed to subscribers. Returns the acknowledgement's reason
// (v5; error_mapping turns errors into a plain ack for 3.1.1):
// - announce: success; not_authorized when N is not the publisher's principal;
//   implementation_specific_error for an invalid announcement, quota_exceeded past the
//   registry bounds;
// - call: success when forwarded or answered with an error reply; implementation_specific_error
//   when it can get no reply at all (3.1.1, no usable Response Topic or Correlation Data);
// - reply: success when relayed; no_matching_subscribers when dropped (late, unsolicited...).
protocol::ReasonCode handle_service_publish(ConnectionState& connection, BrokerData& data,
                                            protocol::Publish&& publish);

// The Authorizer refused a client service topic: a call gets the error reply `denied` when it
// could be answered (its PUBLISH gets 0x87 from the caller of this function).
void handle_denied_service_publish(ConnectionState& connection, BrokerData& data,
                                   const protocol::Publish& publish);

// The connection of `client_id` ended (its session is being detached): its registry entries
// are withdrawn, calls forwarded to it fail with backend_error, its own calls are dropped.
void service_connection_closed(BrokerData& data, std::string_view client_id,
                               const DeliveryContext& context);

// Timeouts (error reply `timeout`) and announcement expiry that are due at context.now.
// Cheap when nothing is due.
void tick_service_hub(BrokerData& data, const DeliveryContext& context);

}  // namespace arkmq::core
