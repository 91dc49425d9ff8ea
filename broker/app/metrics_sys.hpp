// The metrics' numbers under $SYS/broker/ (docs/metrics.md, "$SYS equivalents"): ACL denials,
// quota hits, service calls and drops, loop lag, connections per listener. Composed with the
// other SysExtra values like with_service_nodes_sys; called under the broker lock, it only
// reads Metrics' atomics and short mutexes. Owner: ops-metrics.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/app/metrics.hpp"
#include "broker/core/broker.hpp"

namespace arkmq::app {

// ("acl/denied/publish", "3"), ... (see docs/metrics.md for the list).
std::vector<std::pair<std::string, std::string>> metrics_sys_values(const Metrics& metrics);

// `base` (may be empty) plus metrics_sys_values.
core::SysExtra with_metrics_sys(core::SysExtra base, std::shared_ptr<const Metrics> metrics);

// "mqtt://127.0.0.1:1883" -> "mqtt/127.0.0.1:1883": a listener as $SYS topic levels.
std::string listener_sys_path(std::string_view listener);

}  // namespace arkmq::app
