// The JSON body of `$svc/announce/N/S` (docs/protocol.md, "Announce"). Pure; any thread.
// Built from the service's public fields only: a backend address can never end up in it.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "edge-client/edge_config.hpp"

namespace arkmq::edge {

std::string announce_topic(const std::string& node, const std::string& service);

// {"service","version","description","methods","labels","available","heartbeat_s"}
std::string announcement_json(const ServiceConfig& service,
                              const std::map<std::string, std::string>& labels, bool available,
                              std::chrono::seconds heartbeat);

}  // namespace arkmq::edge
