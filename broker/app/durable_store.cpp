// DurableStore: the core's persistence reports as state.db changes (see durable_store.hpp).
// Owned by the durable-store engineer.
#include "broker/app/durable_store.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "broker/app/durable_store_codec.hpp"

namespace arkmq::app {
namespace {

std::uint8_t stage_code(core::InFlight::Stage stage) {
  switch (stage) {
    case core::InFlight::Stage::awaiting_puback: return 0;
    case core::InFlight::Stage::awaiting_pubrec: return 1;
    case core::InFlight::Stage::awaiting_pubcomp: return 2;
  }
  return 0;
}

std::optional<core::InFlight::Stage> stage_from(std::uint8_t code) {
  switch (code) {
    case 0: return core::InFlight::Stage::awaiting_puback;
    case 1: return core::InFlight::Stage::awaiting_pubrec;
    case 2: return core::InFlight::Stage::awaiting_pubcomp;
    default: return std::nullopt;
  }
}

std::optional<protocol::QoS> qos_from(std::uint8_t code) {
  if (code > 2) return std::nullopt;
  return static_cast<protocol::QoS>(code);
}

}  // namespace

DurableStore::DurableStore(storage::StateStore store, std::string path)
    : store_(std::move(store)), path_(std::move(path)), loaded_(store_.take_loaded()) {
  // New bodies never reuse a stored id, even if restore() is never called: the writer keeps
  // the first body it sees under an id.
  next_body_id_ = loaded_.max_body_id + 1;
}

DurableStore::~DurableStore() = default;

tl::expected<core::RestoredState, std::string> DurableStore::restore() {
  storage::StoredState loaded = std::exchange(loaded_, storage::StoredState{});
  const ClockPair clocks = ClockPair::now();
  core::RestoredState out;
  auto refuse = [&](const std::string& what) {
    return tl::unexpected("persistence: " + path_ + ": refusing the state database: " + what);
  };

  for (auto& s : loaded.sessions) {
    core::DurableSession session;
    session.client_id = std::move(s.client_id);
    session.principal = std::move(s.principal);
    session.expiry_interval = s.expiry_interval;
    if (s.expires_at_us) session.expires_at = clocks.to_steady(*s.expires_at_us);
    out.sessions.push_back(std::move(session));
  }
  for (auto& s : loaded.subscriptions) {
    core::DurableSubscription sub;
    sub.client_id = std::move(s.client_id);
    sub.subscription.filter = std::move(s.filter);
    sub.subscription.share_group = std::move(s.share_group);
    const auto max_qos = qos_from(s.max_qos);
    if (!max_qos || s.retain_handling > 2) {
      return refuse("subscription '" + sub.subscription.filter + "' of '" + sub.client_id +
                    "' has invalid options");
    }
    sub.subscription.subscription.options.max_qos = *max_qos;
    sub.subscription.subscription.options.no_local = s.no_local;
    sub.subscription.subscription.options.retain_as_published = s.retain_as_published;
    sub.subscription.subscription.options.retain_handling = s.retain_handling;
    sub.subscription.subscription.subscription_id = s.subscription_id;
    out.subscriptions.push_back(std::move(sub));
  }

  // One MessagePtr per stored body, so sessions share it again as they did before.
  std::map<std::uint64_t, core::MessagePtr> decoded;
  std::lock_guard lock(mutex_);
  for (auto& m : loaded.messages) {
    auto found = decoded.find(m.body_id);
    if (found == decoded.end()) {
      auto message = decode_stored_message(*m.body, clocks);
      if (!message) {
        return refuse("message " + std::to_string(m.id) + " of '" + m.client_id +
                      "': " + message.error());
      }
      found = decoded.emplace(m.body_id, *message).first;
      bodies_[found->second.get()] = BodyRef{found->second, m.body_id, m.body};
    }
    const auto qos = qos_from(m.qos);
    const auto stage = stage_from(m.stage);
    if (!qos || !stage) {
      return refuse("message " + std::to_string(m.id) + " of '" + m.client_id +
                    "' has an invalid QoS or stage");
    }
    core::DurableMessage message;
    message.client_id = std::move(m.client_id);
    message.id = m.id;
    message.outbound.message = found->second;
    message.outbound.qos = *qos;
    message.outbound.retain = m.retain;
    message.outbound.subscription_ids = std::move(m.subscription_ids);
    message.packet_id = m.packet_id;
    message.stage = *stage;
    out.messages.push_back(std::move(message));
  }
  out.inbound_qos2 = std::move(loaded.inbound_qos2);
  for (const auto& r : loaded.retained) {
    auto message = decode_stored_message(*r.body, clocks);
    if (!message) return refuse("retained message on '" + r.topic + "': " + message.error());
    out.retained.push_back(std::move(*message));
  }
  return out;
}

std::pair<std::uint64_t, storage::SharedStateBlob> DurableStore::body_of(
    const core::MessagePtr& message) {
  std::lock_guard lock(mutex_);
  auto it = bodies_.find(message.get());
  if (it != bodies_.end() && it->second.owner.lock() == message) {
    // The same message (e.g. fanned out to many sessions): its body is stored once.
    storage::SharedStateBlob encoded = it->second.encoded.lock();
    if (!encoded) {
      // Written already; carried again only in case its last owner's removal dropped it.
      encoded = std::make_shared<const storage::StateBlob>(
          encode_stored_message(*message, ClockPair::now()));
      it->second.encoded = encoded;
    }
    return {it->second.id, std::move(encoded)};
  }
  if (bodies_.size() >= sweep_at_) {
    std::erase_if(bodies_, [](const auto& entry) { return entry.second.owner.expired(); });
    sweep_at_ = std::max<std::size_t>(1024, bodies_.size() * 2);
  }
  auto encoded = std::make_shared<const storage::StateBlob>(
      encode_stored_message(*message, ClockPair::now()));
  const std::uint64_t id = next_body_id_++;
  bodies_[message.get()] = BodyRef{message, id, encoded};
  return {id, std::move(encoded)};
}

void DurableStore::save_session(const core::DurableSession& session) {
  storage::StoredSession out;
  out.client_id = session.client_id;
  out.principal = session.principal;
  out.expiry_interval = session.expiry_interval;
  if (session.expires_at) out.expires_at_us = ClockPair::now().to_wall_us(*session.expires_at);
  store_.save_session(std::move(out));
}

void DurableStore::remove_session(std::string_view client_id) {
  store_.remove_session(client_id);
}

void DurableStore::save_subscription(const core::DurableSubscription& subscription) {
  const core::SessionSubscription& in = subscription.subscription;
  storage::StoredSubscription out;
  out.client_id = subscription.client_id;
  out.filter = in.filter;
  out.share_group = in.share_group;
  out.max_qos = static_cast<std::uint8_t>(in.subscription.options.max_qos);
  out.no_local = in.subscription.options.no_local;
  out.retain_as_published = in.subscription.options.retain_as_published;
  out.retain_handling = in.subscription.options.retain_handling;
  out.subscription_id = in.subscription.subscription_id;
  store_.save_subscription(std::move(out));
}

void DurableStore::remove_subscription(std::string_view client_id, std::string_view filter,
                                       std::string_view share_group) {
  store_.remove_subscription(client_id, filter, share_group);
}

void DurableStore::save_message(const core::DurableMessage& message) {
  if (!message.outbound.message) return;
  auto [body_id, body] = body_of(message.outbound.message);
  storage::StoredMessage out;
  out.client_id = message.client_id;
  out.id = message.id;
  out.body_id = body_id;
  out.body = std::move(body);
  out.qos = static_cast<std::uint8_t>(message.outbound.qos);
  out.retain = message.outbound.retain;
  out.subscription_ids = message.outbound.subscription_ids;
  out.packet_id = message.packet_id;
  out.stage = stage_code(message.stage);
  store_.save_message(std::move(out));
}

void DurableStore::remove_message(std::string_view client_id, std::uint64_t id) {
  store_.remove_message(client_id, id);
}

void DurableStore::add_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) {
  store_.add_inbound_qos2(client_id, packet_id);
}

void DurableStore::remove_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) {
  store_.remove_inbound_qos2(client_id, packet_id);
}

void DurableStore::save_retained(const core::MessagePtr& message) {
  if (!message) return;
  storage::StoredRetained out;
  out.topic = message->topic;
  out.body = std::make_shared<const storage::StateBlob>(
      encode_stored_message(*message, ClockPair::now()));
  store_.save_retained(std::move(out));
}

void DurableStore::remove_retained(std::string_view topic) { store_.remove_retained(topic); }

core::DurableState::Ticket DurableStore::last_ticket() const { return store_.last_ticket(); }

void DurableStore::when_committed(Ticket ticket, std::function<void()> done) {
  store_.when_committed(ticket, std::move(done));
}

storage::Result<void> DurableStore::flush_and_close() {
  auto flushed = store_.flush();
  store_.close();
  return flushed;
}

tl::expected<std::shared_ptr<DurableStore>, std::string> open_durable_store(
    const DurableStoreOptions& options) {
  const std::string path = storage::state_schema::state_db_path(options.data_dir);
  storage::StateStoreOptions store_options;
  store_options.synchronous = options.normal_sync ? storage::state_schema::Synchronous::normal
                                                  : storage::state_schema::Synchronous::full;
  if (options.on_write_error) {
    store_options.on_write_error = [report = options.on_write_error](const storage::Error& e) {
      report(e.message);
    };
  }
  auto store = storage::StateStore::open(path, std::move(store_options));
  if (!store) {
    const std::string& message = store.error().message;
    return tl::unexpected("persistence: " +
                          (message.starts_with(path) ? message : path + ": " + message));
  }
  return std::make_shared<DurableStore>(std::move(*store), path);
}

}  // namespace arkmq::app
