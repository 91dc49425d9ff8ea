// Close, fail and release for one connection.
#include "broker/core/connection_state.hpp"

#include <spdlog/spdlog.h>

#include "broker/core/error_mapping.hpp"
#include "broker/core/quota_enforcement.hpp"
#include "broker/core/session_lifecycle.hpp"

namespace arkmq::core {
namespace {

// The net layer's link, behind a DurableGate when persistence is on.
std::shared_ptr<ClientLink> gated_link(BrokerState& state, std::shared_ptr<ClientLink> link) {
  if (std::shared_ptr<DurableGate> gate = make_durable_gate(state, link)) return gate;
  return link;
}

}  // namespace

ConnectionState::ConnectionState(BrokerState& broker_state, ConnectionInfo connection_info,
                                 std::shared_ptr<ClientLink> client_link, TimePoint start)
    : state(broker_state),
      config(broker_state.config()),
      info(std::move(connection_info)),
      link(gated_link(broker_state, std::move(client_link))),
      // gated_link made the link a DurableGate exactly when persistence is on.
      gate(broker_state.durable() != nullptr ? static_cast<DurableGate*>(link.get()) : nullptr),
      connection_id(broker_state.next_connection_id()),
      created_at(start),
      last_packet_at(start),
      now(start) {}

bool ConnectionState::send(const protocol::Packet& packet) {
  return send_control(ControlTarget{*link, version, {peer_max_packet_size, problem_information}}, packet,
               state.counters());
}

void ConnectionState::close() {
  if (phase == Phase::closing) return;
  phase = Phase::closing;
  link->close();
}

void ConnectionState::fail(protocol::ReasonCode code, std::string_view why) {
  if (phase == Phase::closing) return;
  spdlog::warn("protocol violation by client '{}' at {}: {} ({})", client_id, info.peer, why,
               protocol::to_string(code));
  const FailureStage stage =
      phase == Phase::connected ? FailureStage::connection : FailureStage::before_connect;
  const WireResponse response = wire_response(code, stage, version);
  if (response.kind == WireResponse::Kind::disconnect) {
    protocol::Disconnect disconnect{code, {}};
    // A DISCONNECT may carry a Reason String even when problem information is off.
    disconnect.properties.reason_string = std::string(why);
    send(disconnect);
  }
  close();
  release_session(true, code, DisconnectInitiator::broker, why);
}

Session* ConnectionState::bound_session(BrokerData& data) const {
  Session* session = data.sessions.find(session_key);
  return session != nullptr && session->is_bound_to(connection_id) ? session : nullptr;
}

void ConnectionState::release_session(bool send_will, protocol::ReasonCode reason,
                                      DisconnectInitiator by, std::string_view why) {
  if (detached || session_key == 0) return;
  detached = true;
  auto data = state.lock();
  uncount_online(*this, *data);  // max_connections: even after a takeover
  Session* session = bound_session(*data);
  if (session == nullptr) return;  // taken over: the takeover reported the disconnect
  if (data->shutting_down) {
    reason = protocol::ReasonCode::server_shutting_down;
    by = DisconnectInitiator::broker;
    why = "server shutting down";
  }
  events().disconnected(identity(), reason, by, why);
  detach_connection(*data, *session, send_will, context());
  spdlog::info("client disconnected: id='{}' principal='{}' peer={} ({})", client_id, principal,
               info.peer, why);
}

}  // namespace arkmq::core
