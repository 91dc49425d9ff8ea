// The [flow_control] table of the config file: connection-rate bans per source address and the
// global memory budget (docs/configuration.md, docs/flow-control.md). Owned by the quota-net
// engineer; startup only (main thread), errors throw ConfigError naming file:line:column.
#pragma once

#include <toml++/toml.h>

#include "broker/core/broker_config.hpp"
#include "broker/net/connection_rate_limiter.hpp"

namespace arkmq::app {

// Reads `node` (the value of the "flow_control" key) into `rate` and `broker`
// (memory_budget_bytes, quota_disconnect_after); keys it does not set keep their values.
void read_flow_control(const toml::node& node, net::ConnectionRateSettings& rate,
                       core::BrokerConfig& broker);

}  // namespace arkmq::app
