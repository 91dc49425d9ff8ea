// Status JSON and its human-readable form.
#include "edge-client/status.hpp"

#include <nlohmann/json.hpp>

namespace arkmq::edge {

std::string to_string(LinkState state) {
  switch (state) {
    case LinkState::connecting:
      return "connecting";
    case LinkState::up:
      return "up";
    case LinkState::down:
      return "down";
  }
  return "down";
}

std::string status_json(const StatusSnapshot& status) {
  nlohmann::json out;
  out["node"] = status.node;
  out["link"] = to_string(status.link);
  out["local"] = status.local_up ? "up" : "down";
  out["reconnects"] = status.reconnects;
  nlohmann::json services = nlohmann::json::array();
  for (const auto& service : status.services) {
    services.push_back({{"name", service.name}, {"backend", service.backend_kind},
                        {"available", service.available}});
  }
  out["services"] = services;
  out["outbox"] = {{"depth", status.outbox.depth},
                   {"bytes", status.outbox.bytes},
                   {"in_flight", status.outbox_in_flight},
                   {"dropped_oldest", status.outbox.dropped_oldest},
                   {"refused", status.outbox.refused}};
  out["calls"] = {{"ok", status.calls_ok}, {"failed", status.calls_failed}};
  out["bridge"] = {{"out", status.bridged_out}, {"in", status.bridged_in},
                   {"dropped_qos0", status.dropped_qos0}};
  return out.dump();
}

std::string status_text(const std::string& json) {
  const auto status = nlohmann::json::parse(json, nullptr, false);
  if (status.is_discarded() || !status.is_object()) return "unreadable status: " + json + "\n";
  std::string out;
  out += "node:   " + status.value("node", std::string("?")) + "\n";
  out += "link:   " + status.value("link", std::string("?")) + " (reconnects: " +
         std::to_string(status.value("reconnects", 0)) + ")\n";
  out += "local:  " + status.value("local", std::string("?")) + "\n";
  if (status.contains("outbox")) {
    const auto& outbox = status["outbox"];
    out += "outbox: " + std::to_string(outbox.value("depth", 0)) + " messages, " +
           std::to_string(outbox.value("bytes", 0)) + " bytes, " +
           std::to_string(outbox.value("in_flight", 0)) + " in flight, " +
           std::to_string(outbox.value("dropped_oldest", 0)) + " dropped (oldest)\n";
  }
  out += "services:\n";
  if (status.contains("services")) {
    for (const auto& service : status["services"]) {
      out += "  " + service.value("name", std::string("?")) + " (" +
             service.value("backend", std::string("?")) + "): " +
             (service.value("available", false) ? "available" : "unavailable") + "\n";
    }
  }
  return out;
}

}  // namespace arkmq::edge
