// Announcement JSON: exactly the fields docs/protocol.md lists, nothing from the backend.
#include "edge-client/announcement.hpp"

#include <nlohmann/json.hpp>

namespace arkmq::edge {

std::string announce_topic(const std::string& node, const std::string& service) {
  return "$svc/announce/" + node + "/" + service;
}

std::string announcement_json(const ServiceConfig& service,
                              const std::map<std::string, std::string>& labels, bool available,
                              std::chrono::seconds heartbeat) {
  nlohmann::json body;
  body["service"] = service.name;
  body["version"] = service.version;
  body["description"] = service.description;
  body["methods"] = service.methods;
  body["labels"] = labels;
  body["available"] = available;
  body["heartbeat_s"] = heartbeat.count();
  return body.dump();
}

}  // namespace arkmq::edge
