// CONNECT handling.
#include "broker/core/connect_handler.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker/core/error_mapping.hpp"
#include "broker/core/quota_enforcement.hpp"
#include "broker/core/router.hpp"
#include "broker/core/session_lifecycle.hpp"
#include "broker/protocol/topic.hpp"
#include "broker/services/names.hpp"

namespace arkmq::core {
namespace {

using protocol::ProtocolVersion;
using protocol::QoS;
using protocol::ReasonCode;

// What the broker grants, decided before the lock is taken.
struct Grant {
  std::string client_id;
  bool assigned_id = false;
  std::string principal;
  std::uint32_t requested_expiry = 0;
  std::uint32_t session_expiry = 0;
  std::uint16_t keep_alive = 0;
  bool keep_alive_changed = false;
};

// `why` goes to the log and (v5, when asked for) the Reason String; `detail` to the log only
// (the authenticator's reason: the client is not told whether the user or the password was
// wrong). Neither ever holds a password.
// Every refusal is reported as a login with the username as sent.
void refuse(ConnectionState& c, const protocol::Connect& connect, ReasonCode code,
            std::string_view why, std::string_view detail = {}) {
  c.events().login(c.identity(), connect.username, code, detail.empty() ? why : detail);
  spdlog::warn("connection refused: id='{}' peer={} listener={}: {}{}{} ({})", c.client_id,
               c.info.peer, c.info.listener, why, detail.empty() ? "" : ": ", detail,
               protocol::to_string(code));
  const WireResponse response = wire_response(code, FailureStage::connect, c.version);
  if (response.kind == WireResponse::Kind::connack) {
    protocol::Connack connack{false, code, {}};
    if (c.is_v5() && c.problem_information) connack.properties.reason_string = std::string(why);
    c.send(connack);
  }
  c.close();
}

// Checks the will against what the broker supports; success or the CONNACK code.
ReasonCode check_will(const ConnectionState& c, const protocol::Will& will) {
  if (!protocol::is_valid_topic_name(will.topic)) return ReasonCode::topic_name_invalid;
  if (static_cast<std::uint8_t>(will.qos) > c.config.maximum_qos) return ReasonCode::qos_not_supported;
  if (will.retain && !c.config.retain_available) return ReasonCode::retain_not_supported;
  if (will.properties.payload_format_indicator.value_or(0) == 1 &&
      !protocol::is_valid_utf8(will.payload)) {
    return ReasonCode::payload_format_invalid;
  }
  return ReasonCode::success;
}

protocol::Properties connack_properties(const ConnectionState& c, const Grant& grant,
                                        const protocol::Connect& connect) {
  const BrokerConfig& config = c.config;
  protocol::Properties p;
  // The principal's limits where tighter than the broker's (apply_connect_limits).
  const std::uint16_t receive_maximum = inbound_receive_maximum(c);
  if (receive_maximum != 65535) p.receive_maximum = receive_maximum;
  p.maximum_packet_size = inbound_packet_limit(c);
  if (config.topic_alias_maximum != 0) p.topic_alias_maximum = config.topic_alias_maximum;
  if (config.maximum_qos < 2) p.maximum_qos = config.maximum_qos;
  if (!config.retain_available) p.retain_available = 0;
  if (!config.wildcard_subscriptions) p.wildcard_subscription_available = 0;
  if (!config.subscription_identifiers) p.subscription_identifier_available = 0;
  if (!config.shared_subscriptions) p.shared_subscription_available = 0;
  if (grant.keep_alive_changed) p.server_keep_alive = grant.keep_alive;
  if (grant.assigned_id) p.assigned_client_identifier = grant.client_id;
  if (grant.session_expiry < grant.requested_expiry) p.session_expiry_interval = grant.session_expiry;
  if (connect.properties.request_response_information.value_or(0) == 1) {
    std::string info = response_information_for(grant.client_id);
    if (!info.empty()) p.response_information = std::move(info);
  }
  return p;
}

// Session expiry: v5 property (default 0); v3.1.1 clean session=0 means "never", capped.
void grant_expiry(const ConnectionState& c, const protocol::Connect& connect, Grant& grant) {
  if (c.is_v5()) {
    grant.requested_expiry = connect.properties.session_expiry_interval.value_or(0);
  } else {
    grant.requested_expiry = connect.clean_start ? 0 : std::numeric_limits<std::uint32_t>::max();
  }
  grant.session_expiry = std::min(grant.requested_expiry, c.config.max_session_expiry);
}

// Server Keep Alive caps the client's value for v5 [MQTT-3.2.2-21]; v3.1.1 has no way to tell
// the client, so its own value is enforced.
void grant_keep_alive(const ConnectionState& c, const protocol::Connect& connect, Grant& grant) {
  grant.keep_alive = connect.keep_alive;
  const std::uint16_t cap = c.config.max_keep_alive;
  if (c.is_v5() && cap != 0 && (connect.keep_alive == 0 || connect.keep_alive > cap)) {
    grant.keep_alive = cap;
    grant.keep_alive_changed = true;
  }
}

// Messages queued while the client was offline were authorized when they were routed; a rule
// revoked since must not let them through now. (In-flight ones were already sent once and are
// resent as the spec requires [MQTT-4.4.0-1].)
void drop_unauthorized_queued(Session& session, const DeliveryContext& context) {
  const std::size_t dropped = session.remove_queued_if([&](const Outbound& out) {
    return !may_deliver(context.state, session, *out.message);
  });
  if (dropped == 0) return;
  StatCounters::add(context.state.counters().messages_dropped, dropped);
  spdlog::info("dropped {} queued message(s) for client '{}' (principal '{}'): receive no longer "
               "authorized",
               dropped, session.client_id(), session.principal());
}

}  // namespace

std::string response_information_for(std::string_view client_id) {
  // The services inbox (service_rules.hpp): the one topic space only this client may read.
  if (!protocol::is_valid_utf8(client_id)) return {};
  return services::inbox_prefix(client_id).value_or(std::string{});
}

void handle_connect(ConnectionState& c, protocol::Connect&& connect) {
  // Stopping (Broker::begin_drain): no CONNACK; the connection closes with the others.
  if (c.state.drain_begun()) return;
  c.version = connect.version;
  c.client_id = connect.client_id;
  c.problem_information = connect.properties.request_problem_information.value_or(1) != 0;
  // Applies from the CONNACK on [MQTT-3.2.2-19/20].
  c.peer_max_packet_size = c.is_v5() ? connect.properties.maximum_packet_size.value_or(0) : 0;
  if (c.is_v5() && connect.properties.authentication_method) {
    return refuse(c, connect, ReasonCode::bad_authentication_method, "enhanced authentication is not supported");
  }

  Grant grant;
  grant.client_id = connect.client_id;
  if (grant.client_id.empty()) {
    if (!c.is_v5() && !connect.clean_start) {  // [MQTT-3.1.3-8]
      return refuse(c, connect, ReasonCode::client_identifier_not_valid,
                    "empty client id needs clean session");
    }
    grant.client_id = fmt::format("arkmq-{:016x}", c.connection_id);
    grant.assigned_id = true;
  }
  if (grant.client_id.size() > c.config.max_client_id_length) {
    return refuse(c, connect, ReasonCode::client_identifier_not_valid, "client id too long");
  }
  c.client_id = grant.client_id;
  if (connect.will) {
    if (const ReasonCode code = check_will(c, *connect.will); code != ReasonCode::success) {
      return refuse(c, connect, code, "will not acceptable");
    }
  }

  AuthResult auth = c.state.authenticator().authenticate(
      c.info, Credentials{grant.client_id, connect.username, connect.password, grant.assigned_id});
  if (auth.reason != ReasonCode::success) {
    return refuse(c, connect, auth.reason, "authentication failed", auth.why);
  }
  grant.principal = std::move(auth.principal);
  c.principal = grant.principal;  // for the events of a refusal from here on
  if (connect.will &&
      (connect.will->topic.front() == '$' ||
       c.state.authorizer().authorize(AccessRequest{grant.principal, grant.client_id,
                                                    Action::publish, connect.will->topic}) !=
           Decision::allow)) {
    const protocol::Will& will = *connect.will;
    const PublishFacts facts{will.topic, static_cast<std::uint8_t>(will.qos), will.retain,
                             payload_bytes(will.payload)};
    c.events().denied(c.identity(), DeniedAction::will, will.topic, &facts);
    return refuse(c, connect, ReasonCode::not_authorized, "will topic not authorized");
  }
  grant_expiry(c, connect, grant);
  grant_keep_alive(c, connect, grant);
  apply_connect_limits(c);  // the principal's flow-control limits (quota_enforcement.hpp)

  SessionBinding binding;
  binding.link = c.link;
  binding.connection_id = c.connection_id;
  binding.version = c.version;
  binding.max_packet_size = c.peer_max_packet_size;
  binding.connection = &c.info;
  binding.gate = c.gate;
  // Outbound aliases: the client's maximum, capped by ours so a client cannot make the broker
  // remember 65535 topics per connection.
  binding.aliases.maximum =
      c.is_v5() ? std::min(connect.properties.topic_alias_maximum.value_or(0),
                           c.config.topic_alias_maximum)
                : std::uint16_t{0};
  binding.window = c.is_v5() ? connect.properties.receive_maximum.value_or(65535)
                             : c.config.v311_inflight_window;
  bool connack_sent = false;

  {
    auto data = c.state.lock();
    const DurableMark durable_mark(c.state);  // the CONNACK waits for this CONNECT's reports
    if (data->shutting_down) {
      return refuse(c, connect, ReasonCode::server_unavailable, "server is shutting down");
    }
    Session* session = data->sessions.find(grant.client_id);
    // A client id belongs to the principal whose session holds it (online or offline): another
    // principal may neither take it over nor end it with clean start. Anonymous clients share
    // the empty principal, so their sessions are open to anonymous clients only.
    if (session != nullptr && session->principal() != grant.principal) {
      return refuse(c, connect, ReasonCode::not_authorized, "client id is in use by another principal");
    }
    const bool takeover = session != nullptr && session->is_online();
    if (!takeover && c.config.max_connections != 0 &&
        data->clients_connected >= c.config.max_connections) {
      return refuse(c, connect, ReasonCode::server_busy, "too many connections");
    }
    if (!takeover && !may_connect(c, *data)) {  // max_connections of the principal
      return refuse(c, connect, ReasonCode::quota_exceeded, "too many connections for this principal");
    }
    const DeliveryContext context = c.context();
    if (takeover) {
      take_over(*data, *session, context);  // [MQTT-3.1.4-3]
      session = data->sessions.find(grant.client_id);  // may have ended (expiry 0)
    }
    if (session != nullptr && connect.clean_start) {  // [MQTT-3.1.2-4]
      end_session(*data, *session, context);
      session = nullptr;
    }
    const bool present = session != nullptr;
    if (present) {
      data->wills.cancel(session->key());  // reconnected within the Will Delay [MQTT-3.1.3-9]
    } else {
      session = &data->sessions.create(grant.client_id);
    }
    session->bind(std::move(binding));
    session->note_progress(c.now);  // a fresh connection counts as making progress
    ++data->clients_connected;
    count_online(c, *data);
    session->set_expiry_interval(grant.session_expiry);
    session->set_principal(grant.principal);
    session->set_will(std::move(connect.will));
    sync_session(data->durable, *session);  // saved when durable, removed when expiry became 0
    c.session_key = session->key();
    c.principal = grant.principal;
    // What the CONNECT asked for, not what was granted [MQTT-3.14.2-2].
    c.session_expiry_zero = grant.requested_expiry == 0;
    c.phase = Phase::connected;
    protocol::Connack connack{present, ReasonCode::success, {}};
    if (c.is_v5()) connack.properties = connack_properties(c, grant, connect);
    // CONNACK goes out before any redelivered PUBLISH: both are queued under this lock.
    durable_mark.hold(c.gate);
    connack_sent = c.send(connack);
    if (present && connack_sent) {
      drop_unauthorized_queued(*session, context);
      resend_in_flight(*session, context);
      pump_queue(*session, context);
    }
  }
  c.events().login(c.identity(), connect.username, ReasonCode::success, auth.why);
  if (!connack_sent) {
    // Even without Reason String and User Properties it exceeds the client's Maximum Packet
    // Size [MQTT-3.1.2-24]: there is no way to accept this client, so close rather than hang.
    c.close();
    return c.release_session(true, ReasonCode::packet_too_large, DisconnectInitiator::broker,
                             "CONNACK exceeds the client's Maximum Packet Size");
  }
  c.keep_alive_limit = std::chrono::milliseconds(grant.keep_alive * 1500);
  spdlog::info("client connected: id='{}' principal='{}' peer={} version={} clean={} keep_alive={}",
               grant.client_id, grant.principal, c.info.peer,
               c.is_v5() ? "5.0" : "3.1.1", connect.clean_start, grant.keep_alive);
}

}  // namespace arkmq::core
