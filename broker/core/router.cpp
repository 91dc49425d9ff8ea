// Matching and per-session merge of overlapping subscriptions [MQTT-3.3.4-2..5].
#include "broker/core/router.hpp"

#include <algorithm>
#include <vector>

#include "broker/core/message_builder.hpp"
#include "broker/core/quota_enforcement.hpp"
#include "broker/core/service_rules.hpp"

namespace arkmq::core {
namespace {

using protocol::QoS;

QoS min_qos(QoS a, QoS b) { return a < b ? a : b; }

}  // namespace

bool may_receive(BrokerState& state, const Session& session, std::string_view topic) {
  // The built-in inbox rule decides `$svc/inbox/...` before (and instead of) the Authorizer.
  if (const BuiltinAccess builtin = builtin_receive_access(session.client_id(), topic);
      builtin != BuiltinAccess::not_builtin) {
    return builtin == BuiltinAccess::allow;
  }
  return state.authorizer().authorize(AccessRequest{session.principal(), session.client_id(),
                                                    Action::receive, topic}) == Decision::allow;
}

bool may_deliver(BrokerState& state, const Session& session, const Message& message) {
  if (may_receive(state, session, message.topic)) return true;
  const PublishFacts facts = publish_facts(message);
  state.events().denied(session_identity(session), DeniedAction::receive, message.topic, &facts);
  return false;
}

ClientIdentity session_identity(const Session& session) {
  const SessionBinding* binding = session.binding();
  return ClientIdentity{session.client_id(), session.principal(),
                        binding != nullptr ? binding->connection : nullptr};
}

PublishFacts publish_facts(const Message& message) {
  return PublishFacts{message.topic, static_cast<std::uint8_t>(message.qos), message.retain,
                      payload_bytes(message.payload)};
}

std::size_t route(BrokerData& data, const MessagePtr& message, const DeliveryContext& context) {
  std::vector<MatchedSubscription>& matches = data.match_scratch;
  matches.clear();
  // A shared group with no online member still exists [MQTT-4.8.2]: one persistent offline
  // member queues the message (QoS > 0 only, within the queue bounds, like other offline queueing).
  // The receive authorization is part of a shared member's eligibility (online and offline
  // alike), asked last so only otherwise eligible members cost a call: a member that may not
  // read the topic passes its turn on instead of losing the message. Only group members are
  // asked here; plain subscribers are asked once per session below.
  const auto offline_member_can_queue = [&](const Subscription& sub) {
    const Session* session = data.sessions.find(sub.session);
    return session != nullptr && !session->is_online() && session->expiry_interval() != 0 &&
           min_qos(message->qos, sub.options.max_qos) != QoS::at_most_once &&
           has_queue_room(context.state, *session, *message) &&  // its principal's limits
           may_receive(context.state, *session, message->topic);
  };
  data.subscriptions.match(
      message->topic,
      [&](SessionKey key) {
        const Session* session = data.sessions.find(key);
        return session != nullptr && session->is_online() &&
               may_receive(context.state, *session, message->topic);
      },
      message->qos == QoS::at_most_once ? FallbackCheck{} : FallbackCheck{offline_member_can_queue},
      matches);
  std::sort(matches.begin(), matches.end(),
            [](const MatchedSubscription& a, const MatchedSubscription& b) {
              return a.subscription.session < b.subscription.session;
            });

  PublishEncoder encoder(message, context.now);
  std::size_t delivered = 0;
  for (std::size_t begin = 0; begin < matches.size();) {
    const SessionKey key = matches[begin].subscription.session;
    std::size_t end = begin;
    while (end < matches.size() && matches[end].subscription.session == key) ++end;

    Session* session = data.sessions.find(key);
    if (session == nullptr) {
      begin = end;
      continue;
    }
    // One delivery per session: the highest granted QoS and every subscription id.
    bool any = false;
    // A shared match was chosen only once the session passed the receive authorization, which
    // depends on the session and topic alone: no second call for it.
    bool authorized = false;
    Outbound outbound{message, QoS::at_most_once, false, {}};
    for (std::size_t i = begin; i < end; ++i) {
      const Subscription& sub = matches[i].subscription;
      if (matches[i].shared) authorized = true;
      // No Local: never back to the publishing client [MQTT-3.8.3-3].
      if (sub.options.no_local && message->origin_client_id == session->client_id()) continue;
      any = true;
      outbound.qos = std::max(outbound.qos, min_qos(message->qos, sub.options.max_qos));
      if (sub.options.retain_as_published && message->retain) outbound.retain = true;
      if (sub.subscription_id != 0) outbound.subscription_ids.push_back(sub.subscription_id);
    }
    begin = end;
    if (!any || (!authorized && !may_deliver(context.state, *session, *message))) continue;
    const DeliveryResult result = deliver(*session, std::move(outbound), encoder, context);
    if (result == DeliveryResult::sent || result == DeliveryResult::queued) ++delivered;
  }
  return delivered;
}

std::size_t publish_message(BrokerData& data, const MessagePtr& message,
                            const DeliveryContext& context) {
  if (message->retain && context.state.config().retain_available) {
    if (message->payload.empty()) {
      // Cleared, and never stored [MQTT-3.3.1-6/7].
      if (data.retained.erase(message->topic)) data.durable.remove_retained(message->topic);
    } else {
      data.retained.store(message);
      data.durable.save_retained(message);
    }
  }
  // An empty retained payload still reaches current subscribers as a normal message.
  return route(data, message, context);
}

void deliver_retained(BrokerData& data, Session& session, const AddedSubscription& added,
                      const DeliveryContext& context) {
  const Subscription& subscription = added.subscription;
  std::vector<MessagePtr> retained;
  data.retained.match(added.filter, retained);
  for (const MessagePtr& message : retained) {
    if (is_expired(*message, context.now)) continue;
    if (!may_deliver(context.state, session, *message)) continue;
    std::vector<std::uint32_t> ids;
    if (subscription.subscription_id != 0) ids.push_back(subscription.subscription_id);
    PublishEncoder encoder(message, context.now);
    deliver(session,
            Outbound{message, min_qos(message->qos, subscription.options.max_qos), true,
                     std::move(ids)},
            encoder, context);
  }
}

}  // namespace arkmq::core
