// Broker: per-principal flow-control limits (client_limits.hpp).
#include "broker/core/broker.hpp"
#include "broker/core/broker_state.hpp"

namespace arkmq::core {

void Broker::set_limits_provider(std::shared_ptr<LimitsProvider> limits) {
  state_->set_limits(std::move(limits));
}

}  // namespace arkmq::core
