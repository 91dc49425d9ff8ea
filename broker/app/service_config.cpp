// [services]: every key known, typed and range-checked; ServicesConfig -> core::ServiceSettings.
#include "broker/app/service_config.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <openssl/rand.h>

#include "broker/app/app_config.hpp"
#include "broker/services/names.hpp"

namespace arkmq::app {

namespace {

constexpr std::int64_t kMaxRate = 1'000'000;  // calls per second

std::string where(const toml::source_region& source) {
  const std::string file = source.path ? *source.path : std::string("config");
  return file + ":" + std::to_string(source.begin.line) + ":" + std::to_string(source.begin.column);
}

[[noreturn]] void fail(const toml::node& node, const std::string& message) {
  throw ConfigError(where(node.source()) + ": " + message);
}

[[noreturn]] void fail(const toml::key& key, const std::string& message) {
  throw ConfigError(where(key.source()) + ": " + message);
}

// `path` names the key in full ("services.rates.plc.total_rate"), so the error says which one.
std::int64_t integer(const toml::node& node, const std::string& path, std::int64_t min,
                     std::int64_t max) {
  const auto value = node.value_exact<std::int64_t>();
  if (!value) {
    fail(node, "'" + path + "' must be an integer");
  }
  if (*value < min || *value > max) {
    fail(node, "'" + path + "' must be between " + std::to_string(min) + " and " +
                   std::to_string(max) + ", not " + std::to_string(*value));
  }
  return *value;
}

const toml::table& table_of(const toml::node& node, const std::string& what) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    fail(node, "'" + what + "' must be a table ([" + what + "])");
  }
  return *table;
}

// The four rate keys; unset ones stay nullopt (an override inherits them from [services]).
struct RateKeys {
  std::optional<std::uint32_t> per_caller_rate;
  std::optional<std::uint32_t> per_caller_burst;
  std::optional<std::uint32_t> total_rate;
  std::optional<std::uint32_t> total_burst;

  // True when `name` is a rate key (and reads it).
  bool read(std::string_view name, const toml::node& value, const std::string& prefix) {
    std::optional<std::uint32_t>* field = name == "per_caller_rate"    ? &per_caller_rate
                                          : name == "per_caller_burst" ? &per_caller_burst
                                          : name == "total_rate"       ? &total_rate
                                          : name == "total_burst"      ? &total_burst
                                                                       : nullptr;
    if (field == nullptr) return false;
    *field = static_cast<std::uint32_t>(integer(value, prefix + std::string(name), 0, kMaxRate));
    return true;
  }

  services::CallRateLimits over(const services::CallRateLimits& base) const {
    services::CallRateLimits out = base;
    out.per_caller_rate = per_caller_rate.value_or(base.per_caller_rate);
    out.per_caller_burst = per_caller_burst.value_or(base.per_caller_burst);
    out.total_rate = total_rate.value_or(base.total_rate);
    out.total_burst = total_burst.value_or(base.total_burst);
    return out;
  }
};

std::map<std::string, RateKeys, std::less<>> read_rates(const toml::node& node) {
  const toml::table& table = table_of(node, "services.rates");
  std::map<std::string, RateKeys, std::less<>> out;
  for (auto&& [key, value] : table) {
    const std::string name(key.str());
    if (!services::is_valid_name(name)) {
      fail(key, "'services.rates': '" + name +
                    "' is not a valid service name (1..128 bytes of UTF-8, no control "
                    "characters, none of / + # *, not starting with $ or %)");
    }
    const std::string path = "services.rates." + name;
    const toml::table& entry = table_of(value, path);
    RateKeys rates;
    for (auto&& [rate_key, rate_value] : entry) {
      if (!rates.read(rate_key.str(), rate_value, path + ".")) {
        fail(rate_key, "unknown key '" + std::string(rate_key.str()) + "' in [" + path +
                           "] (per_caller_rate, per_caller_burst, total_rate, total_burst)");
      }
    }
    out.emplace(name, rates);
  }
  return out;
}

std::string rate_text(std::uint32_t rate, std::uint32_t burst) {
  if (rate == 0) return "unlimited";
  return std::to_string(rate) + "/s (burst " + std::to_string(burst == 0 ? rate : burst) + ")";
}

// getrandom(2) until `out` is full; false on an error other than EINTR.
bool kernel_random(std::span<std::uint8_t> out) {
  std::size_t filled = 0;
  for (int attempt = 0; filled < out.size() && attempt < 64; ++attempt) {
    const ssize_t got = ::getrandom(out.data() + filled, out.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    filled += static_cast<std::size_t>(got);
  }
  return filled == out.size();
}

bool openssl_random(std::span<std::uint8_t> out) {
  if (out.size() > static_cast<std::size_t>(INT_MAX)) return false;
  return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

}  // namespace

void read_services(const toml::node& node, ServicesConfig& out) {
  const toml::table& table = table_of(node, "services");
  RateKeys defaults;
  std::map<std::string, RateKeys, std::less<>> overrides;
  for (auto&& [key, value] : table) {
    const std::string_view name = key.str();
    const std::string path = "services." + std::string(name);
    if (defaults.read(name, value, "services.")) {
      continue;
    }
    if (name == "rates") {
      overrides = read_rates(value);
    } else if (name == "max_services") {
      out.registry.max_services = static_cast<std::size_t>(integer(value, path, 1, 1'000'000));
    } else if (name == "max_nodes_per_service") {
      out.registry.max_nodes_per_service =
          static_cast<std::size_t>(integer(value, path, 1, 65'536));
    } else if (name == "max_outstanding_calls_per_caller") {
      out.calls.max_per_caller = static_cast<std::size_t>(integer(value, path, 1, 100'000));
    } else if (name == "max_outstanding_calls") {
      out.calls.max_total = static_cast<std::size_t>(integer(value, path, 1, 10'000'000));
    } else {
      fail(key, "unknown key '" + std::string(name) + "' in [services]");
    }
  }
  // Overrides inherit what they do not set from [services], whatever the order in the file.
  out.default_rates = defaults.over(out.default_rates);
  for (const auto& [service, rates] : overrides) {
    out.rates[service] = rates.over(out.default_rates);
  }
}

services::RandomSource secure_random_source(ByteSource primary, ByteSource fallback) {
  return [primary = std::move(primary), fallback = std::move(fallback)](
             std::span<std::uint8_t> out) {
    if (primary && primary(out)) return;
    if (fallback && fallback(out)) return;
    // Never hand out what is in the buffer now: a call id must not be guessable by another
    // node. Abandon the draw; the CallTable has changed nothing yet.
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    throw std::runtime_error("no secure random bytes for a service call id (RAND_bytes and "
                             "getrandom failed)");
  };
}

services::RandomSource openssl_random_source() {
  return secure_random_source(openssl_random, kernel_random);
}

core::ServiceSettings service_settings(const ServicesConfig& config) {
  core::ServiceSettings settings;
  settings.registry = config.registry;
  settings.calls.max_per_caller = config.calls.max_per_caller;
  settings.calls.max_total = config.calls.max_total;
  settings.default_rates = config.default_rates;
  for (const auto& [service, rates] : config.rates) {
    settings.rates.emplace(service, rates);
  }
  settings.random = openssl_random_source();
  return settings;
}

std::string services_summary(const ServicesConfig& config) {
  const auto& rates = config.default_rates;
  return "services: calls per caller " + rate_text(rates.per_caller_rate, rates.per_caller_burst) +
         ", in total " + rate_text(rates.total_rate, rates.total_burst) + " per service; " +
         std::to_string(config.rates.size()) + " service override(s); at most " +
         std::to_string(config.calls.max_per_caller) + " outstanding calls per caller, " +
         std::to_string(config.calls.max_total) + " in total";
}

}  // namespace arkmq::app
