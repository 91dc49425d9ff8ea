// The services' wiring in main: settings, and the available-nodes gauge in $SYS.
#include "broker/app/service_wiring.hpp"

namespace arkmq::app {

void ServiceNodesGauge::service_registry_changed(std::string_view service,
                                                 std::size_t nodes_available) {
  std::lock_guard lock(mutex_);
  const auto found = nodes_.find(service);
  if (found != nodes_.end()) {
    found->second = nodes_available;
  } else {
    nodes_.emplace(std::string(service), nodes_available);
  }
}

std::vector<std::pair<std::string, std::string>> ServiceNodesGauge::sys_values() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> values;
  values.reserve(nodes_.size());
  for (const auto& [service, nodes] : nodes_) {
    values.emplace_back("services/" + service + "/nodes", std::to_string(nodes));
  }
  return values;
}

core::SysExtra with_service_nodes_sys(core::SysExtra base,
                                      std::shared_ptr<const ServiceNodesGauge> gauge) {
  return [base = std::move(base), gauge = std::move(gauge)] {
    std::vector<std::pair<std::string, std::string>> values;
    if (base) {
      values = base();
    }
    for (auto& value : gauge->sys_values()) {
      values.push_back(std::move(value));
    }
    return values;
  };
}

std::shared_ptr<ServiceNodesGauge> wire_services(core::Broker& broker, const ServicesConfig& config,
                                                 EventFanout& events, core::SysExtra sys) {
  broker.set_service_settings(service_settings(config));
  auto gauge = std::make_shared<ServiceNodesGauge>();
  events.add(gauge);
  broker.set_sys_extra(with_service_nodes_sys(std::move(sys), gauge));
  return gauge;
}

}  // namespace arkmq::app
