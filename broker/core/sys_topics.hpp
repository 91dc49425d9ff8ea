// $SYS/broker/... status topics, published as retained QoS 0 messages every sys_interval from
// Broker::tick. Called only under the broker lock.
#pragma once

#include "broker/core/broker_state.hpp"
#include "broker/core/delivery.hpp"

namespace arkmq::core {

// Publishes every $SYS topic when sys_interval has passed since the last time (and on the first
// call); does nothing when sys_interval is 0.
void refresh_sys_topics(BrokerData& data, const DeliveryContext& context);

}  // namespace arkmq::core
