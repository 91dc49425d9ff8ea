// Broker: persistence (durable_state.hpp): restoring what the store loaded, reporting changes.
#include "broker/core/broker.hpp"
#include "broker/core/broker_state.hpp"

namespace arkmq::core {

void Broker::restore(const RestoredState& restored, Clock::time_point now) {
  (void)restored;  // placeholder: the durable-core engineer fills this in
  (void)now;
}

void Broker::set_durable_state(std::shared_ptr<DurableState> durable) {
  state_->set_durable(std::move(durable));
}

}  // namespace arkmq::core
