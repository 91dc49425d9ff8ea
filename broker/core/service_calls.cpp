// Calls and replies: `$svc/call/S/M` from a caller, `$svc/reply/N/ID` from a node, in the order
// of broker/services/service_flow_test.cpp. Under the broker lock.
#include <chrono>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "broker/core/service_messages.hpp"
#include "broker/services/call_request.hpp"
#include "broker/services/forwarding.hpp"
#include "broker/services/names.hpp"
#include "broker/services/replies.hpp"

namespace arkmq::core {
namespace {

using protocol::ReasonCode;
using services::ServiceStatus;

// What an answer to a refused call needs (the call never started: there is no OutstandingCall).
struct RefusedCall {
  std::string_view service;
  std::string_view method;
  std::string_view response_topic;
  std::string_view correlation;
  std::size_t request_bytes = 0;
};

// The call's topic names, for the event; empty when the topic is not a valid call topic.
services::ServiceMethod call_names(std::string_view topic) {
  return services::parse_call_topic(topic).value_or(services::ServiceMethod{});
}

// An error reply for a call refused before it started (denied, bad_request, no_such_service,
// no_node_available, quota_exceeded): to the caller's inbox, and one service_call event.
void refuse_call(ConnectionState& c, BrokerData& data, const RefusedCall& call,
                 ServiceStatus status, std::string_view error) {
  protocol::Publish reply = services::error_reply(
      services::ErrorReply{call.response_topic, call.correlation, status, error, std::nullopt});
  services::CallStart facts;  // only what report_call reads
  facts.service = call.service;
  facts.method = call.method;
  facts.caller_correlation = call.correlation;
  facts.request_bytes = call.request_bytes;
  report_call(c.state, c.identity(), facts, reply, std::chrono::microseconds(0));
  spdlog::debug("service call {}.{} by client '{}' refused: {}", call.service, call.method,
                c.client_id, services::to_string(status));
  send_to_inbox(data, std::move(reply), c.context());
}

// A call that cannot be answered at all: dropped, logged and reported.
ReasonCode drop_call(ConnectionState& c, const protocol::Publish& publish, std::string_view why) {
  spdlog::info("service call from client '{}' (principal '{}') to {} dropped: {}", c.client_id,
               c.principal, publish.topic, why);
  c.events().service_dropped(c.identity(), publish.topic, why);
  return ReasonCode::implementation_specific_error;
}

}  // namespace

ReasonCode handle_call(ConnectionState& c, BrokerData& data, const protocol::Publish& publish) {
  ServiceHub& hub = data.services;
  const auto request =
      services::validate_call(publish, services::CallerView{c.version, c.client_id});
  if (!request) {
    if (!request.error().can_reply) return drop_call(c, publish, request.error().reason);
    // can_reply: the Response Topic and Correlation Data are usable as they are.
    const services::ServiceMethod names = call_names(publish.topic);
    refuse_call(c, data,
                RefusedCall{names.service, names.method, *publish.properties.response_topic,
                            *publish.properties.correlation_data, publish.payload.size()},
                request.error().status, request.error().reason);
    return ReasonCode::success;
  }
  const RefusedCall refused{request->service, request->method, request->response_topic,
                            request->correlation, publish.payload.size()};
  if (!hub.registry.known(request->service)) {
    refuse_call(c, data, refused, ServiceStatus::no_such_service, "");
    return ReasonCode::success;
  }
  // Charged per caller principal (docs/protocol.md): all connections of a user share it.
  if (const ServiceStatus quota = hub.quota.check(request->service, c.principal, c.now);
      quota != ServiceStatus::ok) {
    refuse_call(c, data, refused, quota, "");
    return ReasonCode::success;
  }
  const auto node =
      hub.registry.select_node(request->service, request->method, request->pinned_node);
  if (!node) {
    refuse_call(c, data, refused, node.error(), "");
    return ReasonCode::success;
  }
  services::CallStart start;
  start.caller_client_id = c.client_id;
  start.caller_principal = c.principal;
  start.service = request->service;
  start.method = request->method;
  start.node = (*node)->node;
  start.response_topic = request->response_topic;
  start.caller_correlation = request->correlation;
  start.deadline = c.now + request->timeout;
  start.request_bytes = publish.payload.size();
  start.node_client_id = (*node)->client_id;
  const auto started = hub.calls.start(std::move(start), c.now);
  if (!started) {
    refuse_call(c, data, refused, started.error(), "");
    return ReasonCode::success;
  }
  // Copies: the table may move or remove the call while the request is delivered.
  const std::string id = (*started)->id;
  const std::string node_client_id = (*started)->request.node_client_id;
  protocol::Publish forward = services::forward_request(**started, publish, c.now);
  if (!deliver_to_node(data, node_client_id, std::move(forward), c.context())) {
    // The node announced but is not subscribed to its calls (or may not receive them): fail
    // now rather than at the deadline; nothing reached the node, so no_node_available.
    if (const auto call = hub.calls.abandon(id)) {
      answer_failed_call(data, *call, ServiceStatus::no_node_available,
                         "the node is not subscribed to its calls", c.context());
    }
  }
  return ReasonCode::success;
}

void handle_denied_call(ConnectionState& c, BrokerData& data, const protocol::Publish& publish) {
  const auto request =
      services::validate_call(publish, services::CallerView{c.version, c.client_id});
  if (!request && !request.error().can_reply) {
    drop_call(c, publish, request.error().reason);
    return;
  }
  // Either way the Response Topic and Correlation Data are usable.
  const services::ServiceMethod names = call_names(publish.topic);
  refuse_call(c, data,
              RefusedCall{names.service, names.method, *publish.properties.response_topic,
                          *publish.properties.correlation_data, publish.payload.size()},
              ServiceStatus::denied, "");
}

ReasonCode handle_reply(ConnectionState& c, BrokerData& data, const protocol::Publish& publish) {
  const auto matched = data.services.calls.match_reply(
      c.principal, publish.topic, publish.properties.correlation_data.value_or(""), c.now);
  if (!matched) {
    const std::string_view why = services::to_string(matched.error());
    spdlog::debug("reply from client '{}' (principal '{}') to {} dropped: {}", c.client_id,
                  c.principal, publish.topic, why);
    c.events().service_dropped(c.identity(), publish.topic, why);
    return c.is_v5() ? ReasonCode::no_matching_subscribers : ReasonCode::success;
  }
  protocol::Publish relayed = services::relay_reply(*matched, publish, c.now);
  report_call(c.state, caller_identity(data, *matched), matched->request, relayed,
              std::chrono::duration_cast<std::chrono::microseconds>(c.now - matched->started));
  send_to_inbox(data, std::move(relayed), c.context());
  return ReasonCode::success;
}

}  // namespace arkmq::core
