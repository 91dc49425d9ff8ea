// `arkmq-edge status --config FILE`: reads the retained status JSON from the local broker.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "edge-client/edge_config.hpp"

namespace arkmq::edge {

// The retained status JSON, or nullopt when none arrives within `timeout`.
std::optional<std::string> fetch_status(const LocalConfig& local, std::chrono::milliseconds timeout);

}  // namespace arkmq::edge
