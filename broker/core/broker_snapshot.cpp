// Broker::snapshot: a copy of the connected clients and the service registry for operators,
// taken under the broker lock (like Broker::stats) and read afterwards without it.
#include <algorithm>
#include <set>
#include <string_view>

#include "broker/core/broker.hpp"
#include "broker/core/broker_state.hpp"

namespace arkmq::core {
namespace {

ClientSnapshot client_of(const Session& session, const SessionBinding& binding,
                         const SubscriptionTree& subscriptions) {
  ClientSnapshot client;
  client.client_id = session.client_id();
  client.principal = session.principal();
  if (binding.connection != nullptr) {  // valid: the session is bound and we hold the lock
    client.peer = binding.connection->peer;
    client.listener = binding.connection->listener;
    client.tls = binding.connection->tls;
  }
  client.protocol_version = static_cast<std::uint8_t>(binding.version);
  client.subscriptions = subscriptions.subscriptions_of(session.key()).size();
  client.queued_messages = session.queued_count();
  return client;
}

// Keeps the first `limit` sessions by client id, sorted as the list grows, so the memory stays
// bounded by `limit` whatever the number of clients.
void keep_first(std::vector<const Session*>& kept, std::size_t limit, const Session& session) {
  if (limit == 0) return;
  const std::string& id = session.client_id();
  if (kept.size() == limit && !(id < kept.back()->client_id())) return;
  const auto at = std::lower_bound(
      kept.begin(), kept.end(), id,
      [](const Session* s, const std::string& key) { return s->client_id() < key; });
  kept.insert(at, &session);
  if (kept.size() > limit) kept.pop_back();
}

}  // namespace

BrokerSnapshot Broker::snapshot(std::size_t max_clients) const {
  BrokerSnapshot snapshot;
  auto data = state_->lock();
  std::vector<const Session*> kept;  // valid while the lock is held
  data->sessions.for_each([&](Session& session) {
    if (!session.is_online()) return;  // offline persistent session: not a connected client
    ++snapshot.clients_connected;
    keep_first(kept, max_clients, session);
  });
  snapshot.clients.reserve(kept.size());
  for (const Session* session : kept) {
    snapshot.clients.push_back(client_of(*session, *session->binding(), data->subscriptions));
  }

  const services::ServiceRegistry& registry = data->services.registry;
  std::set<std::string, std::less<>> online_nodes;
  for (const std::string& name : registry.service_names()) {  // sorted by name
    ServiceSnapshot service;
    service.service = name;
    for (const services::NodeEntry* entry : registry.nodes(name)) {
      ServiceNodeSnapshot node;
      node.node = entry->node;
      node.available = entry->announcement.available;
      node.methods = entry->announcement.methods;
      node.version = entry->announcement.version;
      if (node.available) online_nodes.insert(entry->node);
      service.nodes.push_back(std::move(node));
    }
    snapshot.services.push_back(std::move(service));
  }
  snapshot.edge_nodes_online = online_nodes.size();
  return snapshot;
}

}  // namespace arkmq::core
