// [flow_control]: every key known, typed and range-checked.
#include "broker/app/flow_control_config.hpp"

#include <cstdint>
#include <string>

#include "broker/app/app_config.hpp"

namespace arkmq::app {

namespace {

std::string where(const toml::node& node) {
  const auto& source = node.source();
  const std::string file = source.path ? *source.path : std::string("config");
  return file + ":" + std::to_string(source.begin.line) + ":" + std::to_string(source.begin.column);
}

std::string where(const toml::key& key) {
  const auto& source = key.source();
  const std::string file = source.path ? *source.path : std::string("config");
  return file + ":" + std::to_string(source.begin.line) + ":" + std::to_string(source.begin.column);
}

std::int64_t integer(const toml::node& node, std::string_view key, std::int64_t min,
                     std::int64_t max) {
  const auto value = node.value_exact<std::int64_t>();
  if (!value) {
    throw ConfigError(where(node) + ": '" + std::string(key) + "' must be an integer");
  }
  if (*value < min || *value > max) {
    throw ConfigError(where(node) + ": '" + std::string(key) + "' must be between " +
                      std::to_string(min) + " and " + std::to_string(max) + ", not " +
                      std::to_string(*value));
  }
  return *value;
}

}  // namespace

void read_flow_control(const toml::node& node, net::ConnectionRateSettings& rate,
                       core::BrokerConfig& broker) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    throw ConfigError(where(node) + ": 'flow_control' must be a table ([flow_control])");
  }
  for (auto&& [key, value] : *table) {
    const std::string_view name = key.str();
    if (name == "max_connections_per_window") {
      rate.max_per_window = static_cast<std::size_t>(integer(value, name, 0, 1000000));
    } else if (name == "connection_window_seconds") {
      rate.window = std::chrono::seconds(integer(value, name, 1, 3600));
    } else if (name == "ban_seconds") {
      rate.ban = std::chrono::seconds(integer(value, name, 1, 86400));
    } else if (name == "max_tracked_addresses") {
      rate.max_tracked_addresses = static_cast<std::size_t>(integer(value, name, 1, 10000000));
    } else if (name == "memory_budget_bytes") {
      const auto bytes = integer(value, name, 0, std::int64_t{1} << 50);
      if (bytes != 0 && bytes < 65536) {
        throw ConfigError(where(value) +
                          ": 'memory_budget_bytes' must be 0 (off) or at least 65536, not " +
                          std::to_string(bytes));
      }
      broker.memory_budget_bytes = static_cast<std::size_t>(bytes);
    } else if (name == "quota_disconnect_after") {
      broker.quota_disconnect_after = static_cast<std::uint32_t>(integer(value, name, 0, 1000000));
    } else {
      throw ConfigError(where(key) + ": unknown key '" + std::string(name) + "' in [flow_control]");
    }
  }
}

}  // namespace arkmq::app
