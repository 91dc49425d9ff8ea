// Broker facade of the services layer (services engineer): placeholders until the wiring lands.
#include "broker/core/broker.hpp"

namespace arkmq::core {

void Broker::set_service_settings(ServiceSettings /*settings*/) {}
void Broker::tick_services(Clock::time_point /*now*/) {}

}  // namespace arkmq::core
