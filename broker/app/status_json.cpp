// GET /api/status: the status page's data as JSON. Times are Unix milliseconds (UTC).
#include "broker/app/status_json.hpp"

#include <cstdint>
#include <map>

#include <nlohmann/json.hpp>

namespace arkmq::app {
namespace {

using nlohmann::json;

std::int64_t unix_ms(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

json clients_json(const StatusInputs& in) {
  json listed = json::array();
  for (const auto& c : in.snapshot.clients) {
    listed.push_back({{"client_id", c.client_id},
                      {"principal", c.principal},
                      {"peer", c.peer},
                      {"listener", c.listener},
                      {"tls", c.tls},
                      {"protocol_version", c.protocol_version},
                      {"subscriptions", c.subscriptions},
                      {"queued_messages", c.queued_messages}});
  }
  return {{"connected", in.snapshot.clients_connected},
          {"limit", in.client_limit},
          {"listed", std::move(listed)}};
}

json services_json(const core::BrokerSnapshot& snapshot) {
  json services = json::array();
  for (const auto& s : snapshot.services) {
    json nodes = json::array();
    bool available = false;
    for (const auto& n : s.nodes) {
      available = available || n.available;
      nodes.push_back({{"node", n.node},
                       {"available", n.available},
                       {"methods", n.methods},
                       {"version", n.version}});
    }
    services.push_back(
        {{"service", s.service}, {"available", available}, {"nodes", std::move(nodes)}});
  }
  return services;
}

// The same registry seen from the nodes: each edge node with the services it announced.
json edge_nodes_json(const core::BrokerSnapshot& snapshot) {
  struct Node {
    bool available = false;
    json services = json::array();
  };
  std::map<std::string, Node> nodes;
  for (const auto& s : snapshot.services) {
    for (const auto& n : s.nodes) {
      Node& node = nodes[n.node];
      node.available = node.available || n.available;
      node.services.push_back({{"service", s.service}, {"available", n.available}});
    }
  }
  json out = json::array();
  for (auto& [name, node] : nodes) {
    out.push_back(
        {{"node", name}, {"available", node.available}, {"services", std::move(node.services)}});
  }
  return out;
}

json rates_json(const std::vector<RateSample>& rates) {
  json samples = json::array();
  for (const auto& r : rates) {
    samples.push_back({{"t", unix_ms(r.time)},
                       {"in", r.messages_in_per_s},
                       {"out", r.messages_out_per_s},
                       {"bytes_in", r.bytes_in_per_s},
                       {"bytes_out", r.bytes_out_per_s},
                       {"clients", r.clients_connected}});
  }
  return {{"interval_s", 1}, {"samples", std::move(samples)}};
}

json events_json(const StatusEventList& list, const char* what_key, const char* subject_key) {
  json recent = json::array();
  for (const auto& e : list.recent) {
    recent.push_back({{"t", unix_ms(e.time)},
                      {"client_id", e.client_id},
                      {"principal", e.principal},
                      {what_key, e.what},
                      {subject_key, e.subject},
                      {"count", e.count}});
  }
  return {{"total", list.total}, {"recent", std::move(recent)}};
}

}  // namespace

std::string status_json(const StatusInputs& in) {
  const json body = {
      {"version", in.version},
      {"uptime_s", in.uptime.count()},
      {"now", unix_ms(in.now)},
      {"clients", clients_json(in)},
      {"edge_nodes_online", in.snapshot.edge_nodes_online},
      {"edge_nodes", edge_nodes_json(in.snapshot)},
      {"services", services_json(in.snapshot)},
      {"totals",
       {{"messages_received", in.stats.messages_received},
        {"messages_sent", in.stats.messages_sent},
        {"messages_dropped", in.stats.messages_dropped},
        {"bytes_received", in.stats.bytes_received},
        {"bytes_sent", in.stats.bytes_sent},
        {"sessions", in.stats.sessions},
        {"subscriptions", in.stats.subscriptions},
        {"retained_messages", in.stats.retained_messages}}},
      {"rates", rates_json(in.rates)},
      {"denials", events_json(in.denials, "action", "topic")},
      {"quota_hits", events_json(in.quota_hits, "kind", "detail")},
  };
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace arkmq::app
