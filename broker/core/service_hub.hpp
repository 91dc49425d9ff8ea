// ServiceHub: the broker's state of the services layer ($svc/, docs/protocol.md): the registry
// of announced services, the outstanding calls and the call rates. Lives in BrokerData, so it is
// touched only under the broker lock; the handlers are in service_wiring.hpp (svc-core).
#pragma once

#include <optional>

#include "broker/core/service_settings.hpp"
#include "broker/services/call_quota.hpp"
#include "broker/services/call_table.hpp"
#include "broker/services/registry.hpp"

namespace arkmq::core {

struct ServiceHub {
  // Defaults of ServiceSettings, with std::random_device as the call-id source.
  ServiceHub();
  explicit ServiceHub(ServiceSettings settings);

  services::ServiceRegistry registry;
  services::CallTable calls;
  services::CallQuota quota;
  // No registry entry can expire before this (an early guess is harmless: the tick then finds
  // nothing and asks the registry again). Lets tick_services skip the registry scan.
  std::optional<services::TimePoint> registry_check_at;
};

}  // namespace arkmq::core
