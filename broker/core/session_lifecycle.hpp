// When sessions and wills end: a connection detaching from its session, session expiry,
// delayed wills, clean start and takeover [MQTT-3.1.2-*, 3.1.3-9, 3.1.4-3].
// Called only under the broker lock.
#pragma once

#include "broker/core/broker_state.hpp"
#include "broker/core/delivery.hpp"

namespace arkmq::core {

// A will about to be published, with who it comes from.
struct WillOrigin {
  const std::string& client_id;  // the origin of the message (No Local)
  const std::string& principal;  // asked again: a rule may have changed since CONNECT
  const ConnectionInfo* connection = nullptr;  // for BrokerEvents; null once offline
};

// Publishes a will now (retain + route) when the Authorizer still allows `publish` for the
// origin's principal; a denied will is dropped and logged.
void publish_will(BrokerData& data, const protocol::Will& will, const WillOrigin& origin,
                  const DeliveryContext& context);

// Ends `session` now: its pending will is published, its subscriptions and state discarded.
// The Session object is destroyed; do not use it afterwards.
void end_session(BrokerData& data, Session& session, const DeliveryContext& context);

// The connection bound to `session` is gone. The will is published (delay 0), scheduled (Will
// Delay Interval) or dropped (`send_will` false: normal DISCONNECT); a session with expiry 0
// ends now, others start counting down. `session` may be destroyed.
void detach_connection(BrokerData& data, Session& session, bool send_will,
                       const DeliveryContext& context);

// Another connection claims the client id: the old one gets DISCONNECT 0x8E (v5), is closed and
// detached as if its network connection was lost (its will follows the usual rules).
void take_over(BrokerData& data, Session& session, const DeliveryContext& context);

// The server ends the online connection of `session`: DISCONNECT with `reason` (v5), close, and
// detach as if the network connection was lost (will and session expiry follow the usual rules;
// the old connection's later packets find the session no longer bound to it). `session` may be
// destroyed. No-op for an offline session.
// Reported as disconnected(reason, broker, why).
void disconnect_online(BrokerData& data, Session& session, protocol::ReasonCode reason,
                       std::string_view why, const DeliveryContext& context);

// Housekeeping for Broker::tick: expired offline sessions, due wills, expired queued messages.
void expire_sessions_and_wills(BrokerData& data, const DeliveryContext& context);

}  // namespace arkmq::core
