// ServiceRegistry: which nodes announced which services, their liveness and node selection
// (docs/protocol.md, "Announce" and "Discover"). Plain object; owned by one broker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "broker/services/announcement.hpp"
#include "broker/services/service_status.hpp"

namespace arkmq::services {

struct RegistryLimits {
  std::size_t max_services = 4096;          // distinct services ever announced
  std::size_t max_nodes_per_service = 256;
};

struct NodeEntry {
  std::string node;       // the node's principal (N)
  std::string client_id;  // the connection that announced; its close withdraws the entry
  Announcement announcement;
  TimePoint last_seen{};
};

// Rules:
// - An entry (S, N) exists from a valid announcement until: its client's connection closes, no
//   announcement came for 3 x heartbeat, or N withdraws it (empty payload).
// - A service, once announced, stays known (and keeps its `$svc/registry/S` topic, with no
//   nodes) until the registry is destroyed (= broker restart).
// - Every mutator returns the services whose registry entry changed, i.e. whose retained
//   `$svc/registry/S` must be republished; a heartbeat that repeats the same announcement
//   changes nothing and returns an empty list.
// - Node selection: round robin over the available nodes that serve the method (a node that
//   announced no methods serves any); `svc-node` pins one node.
class ServiceRegistry {
 public:
  using Changed = std::vector<std::string>;

  explicit ServiceRegistry(RegistryLimits limits = {});

  // A later announcement from another client id of the same node moves the entry to it.
  // Fails (nothing changes) when a limit would be exceeded.
  tl::expected<Changed, std::string> announce(std::string_view node, std::string_view client_id,
                                              Announcement announcement, TimePoint now);
  Changed withdraw(std::string_view node, std::string_view service);
  Changed connection_closed(std::string_view client_id);
  Changed expire(TimePoint now);
  // When the next entry would expire (for the wiring's timer); nullopt when there is none.
  std::optional<TimePoint> next_expiry() const;

  bool known(std::string_view service) const;
  // Every known service, by name (for operators' views: Broker::snapshot).
  std::vector<std::string> service_names() const;
  // The retained `$svc/registry/S` payload; nullopt for a service never announced. It is built
  // from Announcement fields only, so it can hold no address.
  std::optional<std::string> registry_json(std::string_view service) const;
  std::vector<const NodeEntry*> nodes(std::string_view service) const;  // every listed node
  std::vector<const NodeEntry*> available_nodes(std::string_view service,
                                                std::string_view method) const;

  // The node for a call: no_such_service when S was never announced, no_node_available when
  // no listed node is available for M (or the pinned one is not).
  tl::expected<const NodeEntry*, ServiceStatus> select_node(
      std::string_view service, std::string_view method,
      std::optional<std::string_view> pinned_node);

 private:
  struct Service {
    std::map<std::string, NodeEntry, std::less<>> nodes;  // by node principal
    std::uint64_t next_pick = 0;
  };
  static TimePoint expires_at(const NodeEntry& entry);
  void forget_client(const std::string& client_id);

  RegistryLimits limits_;
  std::map<std::string, Service, std::less<>> services_;  // every known service
  // Entries per announcing client id, so connection_closed() of the many connections that
  // never announced costs no scan.
  std::map<std::string, std::size_t, std::less<>> per_client_;
};

}  // namespace arkmq::services
