// Session end, detach, takeover and expiry.
#include "broker/core/session_lifecycle.hpp"

#include <spdlog/spdlog.h>

#include "broker/core/message_builder.hpp"
#include "broker/core/router.hpp"
#include "broker/core/service_wiring.hpp"

namespace arkmq::core {

void publish_will(BrokerData& data, const protocol::Will& will, const WillOrigin& origin,
                  const DeliveryContext& context) {
  // Checked at CONNECT too, but a will may fire long after (Will Delay, session expiry) and the
  // rule or the user may be gone by then.
  const AccessRequest request{origin.principal, origin.client_id, Action::publish, will.topic};
  if (context.state.authorizer().authorize(request) != Decision::allow) {
    const PublishFacts facts{will.topic, static_cast<std::uint8_t>(will.qos), will.retain,
                             payload_bytes(will.payload)};
    context.state.events().denied(
        ClientIdentity{origin.client_id, origin.principal, origin.connection}, DeniedAction::will,
        will.topic, &facts);
    spdlog::info("will of client '{}' (principal '{}') to {} dropped: publish not authorized",
                 origin.client_id, origin.principal, will.topic);
    return;
  }
  spdlog::debug("publishing will of client {} to {}", origin.client_id, will.topic);
  publish_message(data, make_will_message(will, origin.client_id, context.now), context);
}

void end_session(BrokerData& data, Session& session, const DeliveryContext& context) {
  const SessionKey key = session.key();
  const std::string client_id = session.client_id();
  // A will still waiting for its delay goes out when the session ends [MQTT-3.1.3-9].
  for (const PendingWill& pending : data.wills.take(key)) {
    publish_will(data, pending.will, {pending.client_id, pending.principal}, context);
  }
  if (session.is_online()) {
    session.unbind();
    --data.clients_connected;
  }
  data.subscriptions.remove_session(key);
  // One report removes the session's record with its subscriptions, messages and inbound ids.
  data.durable.remove_session(session);
  data.sessions.erase(key);
  spdlog::debug("session of client {} ended", client_id);
}

void detach_connection(BrokerData& data, Session& session, bool send_will,
                       const DeliveryContext& context) {
  const ConnectionInfo* connection = nullptr;
  if (session.is_online()) {
    connection = session.binding()->connection;
    session.unbind();
    --data.clients_connected;
    // Every connection end passes here once: registry entries, served and own calls.
    service_connection_closed(data, session.client_id(), context);
  }
  std::optional<protocol::Will> will = session.take_will();
  if (will && send_will) {
    const std::uint32_t delay = will->properties.will_delay_interval.value_or(0);
    if (delay == 0 || session.expiry_interval() == 0) {
      publish_will(data, *will, {session.client_id(), session.principal(), connection}, context);
    } else {
      data.wills.schedule(PendingWill{session.key(), session.client_id(), std::move(*will),
                                      context.now + std::chrono::seconds(delay),
                                      session.principal()});
    }
  }
  if (session.expiry_interval() == 0) {
    end_session(data, session, context);
  } else {
    session.start_expiry(context.now);
    data.durable.save_session(session);  // offline now: the record carries its expiry time
  }
}

void take_over(BrokerData& data, Session& session, const DeliveryContext& context) {
  if (session.is_online()) {
    spdlog::info("session of client {} taken over by a new connection", session.client_id());
    disconnect_online(data, session, protocol::ReasonCode::session_taken_over,
                      "session taken over", context);
    return;
  }
  detach_connection(data, session, true, context);
}

void disconnect_online(BrokerData& data, Session& session, protocol::ReasonCode reason,
                       std::string_view why, const DeliveryContext& context) {
  const SessionBinding* old = session.binding();
  if (old == nullptr) return;
  context.state.events().disconnected(session_identity(session), reason,
                                      DisconnectInitiator::broker, why);
  // send_control sends no DISCONNECT to v3.1.1 clients.
  send_control(ControlTarget{*old->link, old->version, {old->max_packet_size, true}},
               protocol::Disconnect{reason, {}}, context.state.counters());
  // on_transport_closed of the old connection arrives later, on its own thread, and finds
  // the session no longer bound to it.
  old->link->close();
  detach_connection(data, session, true, context);
}

void expire_sessions_and_wills(BrokerData& data, const DeliveryContext& context) {
  data.sessions.for_each([&](Session& session) {
    if (!session.is_online() && session.expires_at() && *session.expires_at() <= context.now) {
      spdlog::debug("session of client {} expired", session.client_id());
      end_session(data, session, context);
      return;
    }
    session.remove_expired(context.now);
  });
  for (const PendingWill& pending : data.wills.take_due(context.now)) {
    publish_will(data, pending.will, {pending.client_id, pending.principal}, context);
  }
}

}  // namespace arkmq::core
