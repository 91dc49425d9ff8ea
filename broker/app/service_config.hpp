// The [services] table of the config file (docs/configuration.md "Services: [services]"): call
// rates, per-service overrides and the services layer's bounds; and the core::ServiceSettings
// built from them, with OpenSSL's RAND_bytes as the source of call ids. Owned by the svc-app
// engineer; startup only (main thread), errors throw ConfigError naming file:line:column.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>

#include <toml++/toml.h>

#include "broker/core/service_settings.hpp"
#include "broker/services/call_quota.hpp"
#include "broker/services/call_table.hpp"
#include "broker/services/registry.hpp"

namespace arkmq::app {

// What [services] says; the defaults are the services library's own.
struct ServicesConfig {
  services::CallRateLimits default_rates;  // services without an entry in `rates`
  // [services.rates.S]: keys not set there are the [services] defaults.
  std::map<std::string, services::CallRateLimits, std::less<>> rates;
  services::RegistryLimits registry;
  services::CallTableLimits calls;

  friend bool operator==(const ServicesConfig& a, const ServicesConfig& b) {
    const auto same = [](const services::CallRateLimits& x, const services::CallRateLimits& y) {
      return x.per_caller_rate == y.per_caller_rate && x.per_caller_burst == y.per_caller_burst &&
             x.total_rate == y.total_rate && x.total_burst == y.total_burst;
    };
    if (!same(a.default_rates, b.default_rates) || a.rates.size() != b.rates.size()) return false;
    for (const auto& [name, limits] : a.rates) {
      const auto other = b.rates.find(name);
      if (other == b.rates.end() || !same(limits, other->second)) return false;
    }
    return a.registry.max_services == b.registry.max_services &&
           a.registry.max_nodes_per_service == b.registry.max_nodes_per_service &&
           a.calls.max_per_caller == b.calls.max_per_caller &&
           a.calls.max_total == b.calls.max_total;
  }
};

// Reads `node` (the value of the "services" key) into `out`. Every key is known, typed and
// range-checked; a service name under [services.rates] must obey services::is_valid_name.
void read_services(const toml::node& node, ServicesConfig& out);

// Fills a span with unpredictable bytes; false when it could not.
using ByteSource = std::function<bool(std::span<std::uint8_t>)>;

// The call-id source: `primary` (OpenSSL RAND_bytes), else `fallback` (the kernel's getrandom).
// When both fail it throws std::runtime_error: the call id draw is abandoned before the
// CallTable stores anything (the worker logs the exception and serves on); it never returns
// bytes that are predictable or partly filled.
services::RandomSource secure_random_source(ByteSource primary, ByteSource fallback);
// secure_random_source(RAND_bytes, getrandom).
services::RandomSource openssl_random_source();

// The settings Broker::set_service_settings takes, with openssl_random_source().
core::ServiceSettings service_settings(const ServicesConfig& config);

// "services: per caller 10/s (burst 20), total unlimited; 2 service override(s); ..." for the
// startup log.
std::string services_summary(const ServicesConfig& config);

}  // namespace arkmq::app
