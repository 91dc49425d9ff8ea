// Internal to the services wiring (service_*.cpp): the messages the broker itself publishes for
// the services layer (registry, replies into inboxes, requests to a node) and the call events.
// Called only under the broker lock (svc-core).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "broker/core/broker_state.hpp"
#include "broker/core/connection_state.hpp"
#include "broker/core/delivery.hpp"
#include "broker/protocol/packets.hpp"
#include "broker/services/call_table.hpp"
#include "broker/services/registry.hpp"
#include "broker/services/service_status.hpp"

namespace arkmq::core {

// Republishes `$svc/registry/S` (retained, QoS 1) for every changed service and reports
// service_registry_changed. The retained copy is kept in memory only, never persisted: the
// registry itself is not, and a restarted broker must not show nodes it has not heard from.
void publish_registry_changes(BrokerData& data, const services::ServiceRegistry::Changed& changed,
                              const DeliveryContext& context);

// A reply or error for a caller, routed like any broker message: the inbox rule lets only the
// inbox's owner receive it. Returns the sessions it reached.
std::size_t send_to_inbox(BrokerData& data, protocol::Publish&& reply,
                          const DeliveryContext& context);

// The forwarded request, delivered only to the session of the node connection that announced
// (`node_client_id`), through its matching subscriptions and the receive check. Returns whether
// it was sent or queued. Only that connection: a second connection of the same principal that
// subscribed too must not run the call a second time, and node_gone is keyed by it.
bool deliver_to_node(BrokerData& data, std::string_view node_client_id,
                     protocol::Publish&& request, const DeliveryContext& context);

// The caller of a call as BrokerEvents wants it (connection null when it is offline).
ClientIdentity caller_identity(BrokerData& data, const services::OutstandingCall& call);

// Reports one finished call (service_call) from the message the caller was sent.
void report_call(BrokerState& state, const ClientIdentity& caller,
                 const services::CallStart& call, const protocol::Publish& sent,
                 std::chrono::microseconds latency);

// A started call that failed (timeout, node gone, not deliverable): error reply + event.
void answer_failed_call(BrokerData& data, const services::OutstandingCall& call,
                        services::ServiceStatus status, std::string_view error,
                        const DeliveryContext& context);

// The handlers behind handle_service_publish / handle_denied_service_publish.
protocol::ReasonCode handle_announce(ConnectionState& c, BrokerData& data,
                                     const protocol::Publish& publish);
protocol::ReasonCode handle_call(ConnectionState& c, BrokerData& data,
                                 const protocol::Publish& publish);
protocol::ReasonCode handle_reply(ConnectionState& c, BrokerData& data,
                                  const protocol::Publish& publish);
void handle_denied_call(ConnectionState& c, BrokerData& data, const protocol::Publish& publish);

}  // namespace arkmq::core
