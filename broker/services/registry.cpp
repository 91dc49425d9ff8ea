// ServiceRegistry: entries, liveness, registry JSON, node selection. One broker thread.
#include "broker/services/registry.hpp"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

namespace arkmq::services {

namespace {
constexpr int kMissedHeartbeats = 3;  // docs/protocol.md: withdrawn after 3 x heartbeat_s

bool serves(const NodeEntry& entry, std::string_view method) {
  const auto& methods = entry.announcement.methods;
  return methods.empty() || std::binary_search(methods.begin(), methods.end(), method);
}
}  // namespace

ServiceRegistry::ServiceRegistry(RegistryLimits limits) : limits_(limits) {}

TimePoint ServiceRegistry::expires_at(const NodeEntry& entry) {
  return entry.last_seen + kMissedHeartbeats * entry.announcement.heartbeat;
}

void ServiceRegistry::forget_client(const std::string& client_id) {
  const auto it = per_client_.find(client_id);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

tl::expected<ServiceRegistry::Changed, std::string> ServiceRegistry::announce(
    std::string_view node, std::string_view client_id, Announcement announcement,
    TimePoint now) {
  auto service_it = services_.find(announcement.service);
  if (service_it == services_.end()) {
    if (services_.size() >= limits_.max_services) {
      return tl::make_unexpected("too many services (limit " +
                                 std::to_string(limits_.max_services) + ")");
    }
    service_it = services_.emplace(announcement.service, Service{}).first;
  }
  auto& nodes = service_it->second.nodes;
  auto node_it = nodes.find(node);
  if (node_it == nodes.end()) {
    if (nodes.size() >= limits_.max_nodes_per_service) {
      std::string message = "too many nodes for service " + service_it->first + " (limit " +
                            std::to_string(limits_.max_nodes_per_service) + ")";
      if (nodes.empty()) services_.erase(service_it);  // never became known
      return tl::make_unexpected(std::move(message));
    }
    NodeEntry entry{std::string(node), std::string(client_id), std::move(announcement), now};
    ++per_client_[entry.client_id];
    nodes.emplace(entry.node, std::move(entry));
    return Changed{service_it->first};
  }
  NodeEntry& entry = node_it->second;
  entry.last_seen = now;
  if (entry.client_id != client_id) {  // not published: no registry change by itself
    forget_client(entry.client_id);
    entry.client_id = std::string(client_id);
    ++per_client_[entry.client_id];
  }
  if (entry.announcement == announcement) return Changed{};
  entry.announcement = std::move(announcement);
  return Changed{service_it->first};
}

ServiceRegistry::Changed ServiceRegistry::withdraw(std::string_view node,
                                                   std::string_view service) {
  const auto service_it = services_.find(service);
  if (service_it == services_.end()) return {};
  const auto node_it = service_it->second.nodes.find(node);
  if (node_it == service_it->second.nodes.end()) return {};
  forget_client(node_it->second.client_id);
  service_it->second.nodes.erase(node_it);
  return Changed{service_it->first};
}

ServiceRegistry::Changed ServiceRegistry::connection_closed(std::string_view client_id) {
  Changed changed;
  // Every connection close asks: most never announced, and need no scan.
  const auto announced = per_client_.find(client_id);
  if (announced == per_client_.end()) return changed;
  per_client_.erase(announced);
  for (auto& [name, service] : services_) {
    const auto removed = std::erase_if(
        service.nodes, [&](const auto& item) { return item.second.client_id == client_id; });
    if (removed != 0) changed.push_back(name);
  }
  return changed;
}

ServiceRegistry::Changed ServiceRegistry::expire(TimePoint now) {
  Changed changed;
  for (auto& [name, service] : services_) {
    const auto removed = std::erase_if(service.nodes, [&](const auto& item) {
      if (expires_at(item.second) > now) return false;
      forget_client(item.second.client_id);
      return true;
    });
    if (removed != 0) changed.push_back(name);
  }
  return changed;
}

std::optional<TimePoint> ServiceRegistry::next_expiry() const {
  std::optional<TimePoint> next;
  for (const auto& [name, service] : services_) {
    for (const auto& [node, entry] : service.nodes) {
      const auto at = expires_at(entry);
      if (!next || at < *next) next = at;
    }
  }
  return next;
}

bool ServiceRegistry::known(std::string_view service) const {
  return services_.find(service) != services_.end();
}

std::vector<std::string> ServiceRegistry::service_names() const {
  std::vector<std::string> names;
  names.reserve(services_.size());
  for (const auto& item : services_) names.push_back(item.first);
  return names;
}

std::optional<std::string> ServiceRegistry::registry_json(std::string_view service) const {
  const auto service_it = services_.find(service);
  if (service_it == services_.end()) return std::nullopt;
  nlohmann::json nodes = nlohmann::json::array();
  std::set<std::string> methods;
  bool available = false;
  for (const auto& [name, entry] : service_it->second.nodes) {
    const auto& a = entry.announcement;
    available = available || a.available;
    methods.insert(a.methods.begin(), a.methods.end());
    // Whitelisted fields only (docs/protocol.md "Discover"): never the client id or an address.
    nodes.push_back({{"node", entry.node},
                     {"version", a.version},
                     {"available", a.available},
                     {"labels", a.labels},
                     {"description", a.description}});
  }
  const nlohmann::json body = {{"service", service_it->first},
                               {"available", available},
                               {"methods", methods},
                               {"nodes", std::move(nodes)}};
  // Every string was validated as UTF-8 on the way in; `replace` keeps dump() from throwing.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<const NodeEntry*> ServiceRegistry::nodes(std::string_view service) const {
  std::vector<const NodeEntry*> out;
  const auto service_it = services_.find(service);
  if (service_it == services_.end()) return out;
  for (const auto& [name, entry] : service_it->second.nodes) out.push_back(&entry);
  return out;
}

std::vector<const NodeEntry*> ServiceRegistry::available_nodes(std::string_view service,
                                                               std::string_view method) const {
  auto out = nodes(service);
  std::erase_if(out, [&](const NodeEntry* entry) {
    return !entry->announcement.available || !serves(*entry, method);
  });
  return out;
}

tl::expected<const NodeEntry*, ServiceStatus> ServiceRegistry::select_node(
    std::string_view service, std::string_view method,
    std::optional<std::string_view> pinned_node) {
  const auto service_it = services_.find(service);
  if (service_it == services_.end()) return tl::make_unexpected(ServiceStatus::no_such_service);
  const auto candidates = available_nodes(service, method);
  if (pinned_node) {
    const auto it = std::find_if(candidates.begin(), candidates.end(),
                                 [&](const NodeEntry* entry) { return entry->node == *pinned_node; });
    if (it == candidates.end()) return tl::make_unexpected(ServiceStatus::no_node_available);
    return *it;
  }
  if (candidates.empty()) return tl::make_unexpected(ServiceStatus::no_node_available);
  auto& cursor = service_it->second.next_pick;
  const NodeEntry* chosen = candidates[cursor % candidates.size()];
  ++cursor;
  return chosen;
}

}  // namespace arkmq::services
