// How main wires the services layer: the [services] settings into the broker before serving, and
// the number of available nodes per service as $SYS values (services/<S>/nodes). Owned by the
// svc-app engineer. The gauge is fed on worker threads (under the broker lock) and read under
// the broker lock at $SYS refreshes: a mutex of its own, copy and return.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/app/event_fanout.hpp"
#include "broker/app/service_config.hpp"
#include "broker/core/broker.hpp"
#include "broker/core/broker_events.hpp"

namespace arkmq::app {

// Available nodes per service, as the core reports registry changes. Bounded by the registry's
// max_services (a service, once announced, stays known until the broker restarts).
class ServiceNodesGauge final : public core::BrokerEvents {
 public:
  void service_registry_changed(std::string_view service, std::size_t nodes_available) override;
  // ("services/plc/nodes", "2"), ... in service name order.
  std::vector<std::pair<std::string, std::string>> sys_values() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::size_t, std::less<>> nodes_;  // guarded by mutex_
};

// `base` (may be empty) plus the gauge's values.
core::SysExtra with_service_nodes_sys(core::SysExtra base,
                                      std::shared_ptr<const ServiceNodesGauge> gauge);

// Before serving: broker.set_service_settings(service_settings(config)); a gauge added to
// `events` (the broker's event fan-out); $SYS = `sys` (what main contributed so far) plus
// services/<S>/nodes. Returns the gauge.
std::shared_ptr<ServiceNodesGauge> wire_services(core::Broker& broker, const ServicesConfig& config,
                                                 EventFanout& events, core::SysExtra sys);

}  // namespace arkmq::app
