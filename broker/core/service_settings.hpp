// Settings of the services layer inside the broker (docs/services.md, docs/configuration.md
// "[services]"): registry and call-table bounds, call rates, the source of call ids. Plain values.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "broker/services/call_quota.hpp"
#include "broker/services/call_table.hpp"
#include "broker/services/registry.hpp"

namespace arkmq::core {

struct ServiceSettings {
  services::RegistryLimits registry;
  services::CallTableLimits calls;
  // Call rates of a service without an entry of its own in `rates` (0 = unlimited).
  services::CallRateLimits default_rates;
  std::map<std::string, services::CallRateLimits, std::less<>> rates;  // by service name
  // Unpredictable bytes for call ids: the application passes a CSPRNG (OpenSSL RAND_bytes).
  // Null: std::random_device.
  services::RandomSource random;
};

}  // namespace arkmq::core
