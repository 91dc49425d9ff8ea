// Broker facade of the services layer (svc-core): settings and the services timer.
#include "broker/core/broker.hpp"

#include "broker/core/broker_state.hpp"
#include "broker/core/service_wiring.hpp"

namespace arkmq::core {

void Broker::set_service_settings(ServiceSettings settings) {
  // Before serving: nothing is registered or outstanding yet, so a fresh hub loses nothing.
  auto data = state_->lock();
  data->services = ServiceHub(std::move(settings));
}

void Broker::tick_services(Clock::time_point now) {
  auto data = state_->lock();
  tick_service_hub(*data, DeliveryContext{*state_, now});
}

}  // namespace arkmq::core
