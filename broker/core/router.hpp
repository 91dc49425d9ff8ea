// Route step of the PUBLISH pipeline (STYLE.md 2, step 8): retained update, trie match,
// No Local, per-subscriber receive authorization, overlapping subscriptions merged per session,
// QoS downgrade, then delivery. Called only under the broker lock.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "broker/core/broker_state.hpp"
#include "broker/core/delivery.hpp"

namespace arkmq::core {

// Delivers `message` to every matching session; returns how many sessions it was sent or
// queued to (0: "no matching subscribers").
std::size_t route(BrokerData& data, const MessagePtr& message, const DeliveryContext& context);

// The common tail of client PUBLISH, wills and $SYS: update the retained store when RETAIN is
// set (an empty payload clears it [MQTT-3.3.1-6/7]), then route.
std::size_t publish_message(BrokerData& data, const MessagePtr& message,
                            const DeliveryContext& context);

// A subscription just made (plain filter, no "$share/"), for which retained messages are due.
struct AddedSubscription {
  std::string filter;
  Subscription subscription;
};

// Retained messages for a subscription just made (RETAIN=1 on these [MQTT-3.3.1-9]).
void deliver_retained(BrokerData& data, Session& session, const AddedSubscription& added,
                      const DeliveryContext& context);

// The Authorizer's `receive` decision for one subscriber.
bool may_receive(BrokerState& state, const Session& session, std::string_view topic);
// The same for a delivery about to happen: a refusal is reported as denied(receive).
bool may_deliver(BrokerState& state, const Session& session, const Message& message);

// Who a session is, for BrokerEvents (the connection only while it is bound).
ClientIdentity session_identity(const Session& session);
// The facts of a message for BrokerEvents; views into `message`.
PublishFacts publish_facts(const Message& message);

}  // namespace arkmq::core
