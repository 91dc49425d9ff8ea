// What the services layer publishes: registry topics, inbox replies, requests to a node, and
// the service_call events. Under the broker lock.
#include "broker/core/service_messages.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "broker/core/message_builder.hpp"
#include "broker/core/router.hpp"
#include "broker/services/names.hpp"
#include "broker/services/replies.hpp"

namespace arkmq::core {
namespace {

using protocol::QoS;

// The broker is the origin of every services message: an empty origin never meets No Local.
const std::string kBrokerOrigin;

std::string_view user_property(const protocol::Publish& publish, std::string_view name) {
  for (const auto& property : publish.properties.user_properties) {
    if (property.name == name) return property.value;
  }
  return {};
}

}  // namespace

void publish_registry_changes(BrokerData& data, const services::ServiceRegistry::Changed& changed,
                              const DeliveryContext& context) {
  for (const std::string& service : changed) {
    std::optional<std::string> json = data.services.registry.registry_json(service);
    if (!json) continue;
    auto message = std::make_shared<Message>();
    message->topic = services::registry_topic(service);
    message->payload = std::move(*json);
    message->qos = QoS::at_least_once;  // discovery must not lose a change
    message->retain = true;
    // Stored, but not reported to the durable state (unlike publish_message): see the header.
    if (context.state.config().retain_available) data.retained.store(message);
    route(data, message, context);
    const auto nodes = data.services.registry.nodes(service);
    const auto available = static_cast<std::size_t>(std::count_if(
        nodes.begin(), nodes.end(),
        [](const services::NodeEntry* entry) { return entry->announcement.available; }));
    context.state.events().service_registry_changed(service, available);
  }
}

std::size_t send_to_inbox(BrokerData& data, protocol::Publish&& reply,
                          const DeliveryContext& context) {
  return route(data, make_message(std::move(reply), kBrokerOrigin, context.now), context);
}

bool deliver_to_node(BrokerData& data, std::string_view node_client_id,
                     protocol::Publish&& request, const DeliveryContext& context) {
  Session* session = data.sessions.find(node_client_id);
  if (session == nullptr || !session->is_online()) return false;
  const SessionKey key = session->key();
  const MessagePtr message = make_message(std::move(request), kBrokerOrigin, context.now);
  std::vector<MatchedSubscription>& matches = data.match_scratch;
  matches.clear();
  data.subscriptions.match(message->topic, [key](SessionKey k) { return k == key; }, matches);
  // The node's overlapping subscriptions merge as in route(): highest QoS, every id.
  Outbound outbound{message, QoS::at_most_once, false, {}};
  bool any = false;
  for (const MatchedSubscription& match : matches) {
    const Subscription& sub = match.subscription;
    if (sub.session != key) continue;
    any = true;
    outbound.qos = std::max(outbound.qos, std::min(message->qos, sub.options.max_qos));
    if (sub.subscription_id != 0) outbound.subscription_ids.push_back(sub.subscription_id);
  }
  if (!any || !may_deliver(context.state, *session, *message)) return false;
  PublishEncoder encoder(message, context.now);
  const DeliveryResult result = deliver(*session, std::move(outbound), encoder, context);
  return result == DeliveryResult::sent || result == DeliveryResult::queued;
}

ClientIdentity caller_identity(BrokerData& data, const services::OutstandingCall& call) {
  const Session* session = data.sessions.find(call.request.caller_client_id);
  if (session != nullptr && session->is_online()) return session_identity(*session);
  return ClientIdentity{call.request.caller_client_id, call.request.caller_principal, nullptr};
}

void report_call(BrokerState& state, const ClientIdentity& caller,
                 const services::CallStart& call, const protocol::Publish& sent,
                 std::chrono::microseconds latency) {
  ServiceCallFacts facts;
  facts.service = call.service;
  facts.method = call.method;
  facts.node = call.node;
  facts.status = user_property(sent, "svc-status");
  facts.error = user_property(sent, "svc-error");
  facts.correlation = call.caller_correlation;
  facts.latency = std::max(latency, std::chrono::microseconds(0));
  facts.request_bytes = call.request_bytes;
  facts.reply_bytes = sent.payload.size();
  state.events().service_call(caller, facts);
}

void answer_failed_call(BrokerData& data, const services::OutstandingCall& call,
                        services::ServiceStatus status, std::string_view error,
                        const DeliveryContext& context) {
  protocol::Publish reply = services::call_error_reply(call, status, error, context.now);
  report_call(context.state, caller_identity(data, call), call.request, reply,
              std::chrono::duration_cast<std::chrono::microseconds>(context.now - call.started));
  send_to_inbox(data, std::move(reply), context);
}

}  // namespace arkmq::core
