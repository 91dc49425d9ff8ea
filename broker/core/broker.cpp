// Broker: construction, housekeeping tick, shutdown, stats.
#include "broker/core/broker.hpp"

#include <spdlog/spdlog.h>

#include "broker/core/broker_state.hpp"
#include "broker/core/delivery.hpp"
#include "broker/core/memory_budget.hpp"
#include "broker/core/session_lifecycle.hpp"
#include "broker/core/sys_topics.hpp"

namespace arkmq::core {

BrokerState::BrokerState(BrokerConfig config, std::shared_ptr<Authenticator> authenticator,
                         std::shared_ptr<Authorizer> authorizer)
    : config_(std::move(config)),
      authenticator_(std::move(authenticator)),
      authorizer_(std::move(authorizer)) {}

Broker::Broker(BrokerConfig config, std::shared_ptr<Authenticator> authenticator,
               std::shared_ptr<Authorizer> authorizer)
    : state_(std::make_unique<BrokerState>(std::move(config), std::move(authenticator),
                                           std::move(authorizer))) {}

Broker::~Broker() = default;

void Broker::set_events(std::shared_ptr<BrokerEvents> events) {
  state_->set_events(std::move(events));
}

void Broker::set_sys_extra(SysExtra extra) { state_->set_sys_extra(std::move(extra)); }

void Broker::tick(Clock::time_point now) {
  tick_services(now);  // takes the lock itself; also run faster by whoever calls tick_services
  auto data = state_->lock();
  if (!data->started_at) data->started_at = now;
  const DeliveryContext context{*state_, now};
  expire_sessions_and_wills(*data, context);
  data->retained.remove_expired(now);
  enforce_memory_budget(*data, context);  // before $SYS, so it reports this tick's shedding
  refresh_sys_topics(*data, context);
}

void Broker::shutdown() {
  auto data = state_->lock();
  data->shutting_down = true;
  std::size_t closed = 0;
  data->sessions.for_each([&](Session& session) {
    const SessionBinding* binding = session.binding();
    if (binding == nullptr) return;
    // send_control sends no DISCONNECT to v3.1.1 clients.
    send_control(ControlTarget{*binding->link, binding->version, {binding->max_packet_size, true}},
                 protocol::Disconnect{protocol::ReasonCode::server_shutting_down, {}},
                 state_->counters());
    // Each connection's on_transport_closed follows later on its own thread.
    binding->link->close();
    ++closed;
  });
  spdlog::info("broker shutting down: {} client connections closed", closed);
}

std::size_t Broker::disconnect_principal(std::string_view principal, protocol::ReasonCode reason) {
  return disconnect_principal(principal, reason, Clock::now());
}

std::size_t Broker::disconnect_principal(std::string_view principal, protocol::ReasonCode reason,
                                         Clock::time_point now) {
  auto data = state_->lock();
  const DeliveryContext context{*state_, now};
  std::size_t closed = 0;
  // Like a server-initiated DISCONNECT: the session is kept or ended per its expiry, the will
  // fires (and is authorized again, so a removed user's will usually goes nowhere).
  data->sessions.for_each([&](Session& session) {
    if (!session.is_online() || session.principal() != principal) return;
    spdlog::info("disconnecting client '{}' of principal '{}' ({})", session.client_id(),
                 principal, protocol::to_string(reason));
    disconnect_online(*data, session, reason, "principal disconnected",
                      context);  // may destroy `session`
    ++closed;
  });
  return closed;
}

BrokerStats Broker::stats() const {
  BrokerStats stats;
  const StatCounters& counters = state_->counters();
  stats.messages_received = counters.messages_received.load(std::memory_order_relaxed);
  stats.messages_sent = counters.messages_sent.load(std::memory_order_relaxed);
  stats.messages_dropped = counters.messages_dropped.load(std::memory_order_relaxed);
  stats.bytes_received = counters.bytes_received.load(std::memory_order_relaxed);
  stats.bytes_sent = counters.bytes_sent.load(std::memory_order_relaxed);
  auto data = state_->lock();
  stats.clients_connected = data->clients_connected;
  stats.sessions = data->sessions.size();
  stats.subscriptions = data->subscriptions.size();
  stats.retained_messages = data->retained.size();
  return stats;
}

const BrokerConfig& Broker::config() const { return state_->config(); }

BrokerState& Broker::state() { return *state_; }

}  // namespace arkmq::core
