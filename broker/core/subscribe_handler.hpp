// SUBSCRIBE -> SUBACK (+ retained messages) and UNSUBSCRIBE -> UNSUBACK: per-filter validation,
// shared subscriptions, subscription identifiers, authorization [MQTT-3.8, 3.10].
// Runs on the connection's worker thread; takes the broker lock.
#pragma once

#include "broker/core/connection_state.hpp"

namespace arkmq::core {

void handle_subscribe(ConnectionState& connection, protocol::Subscribe&& subscribe);
void handle_unsubscribe(ConnectionState& connection, const protocol::Unsubscribe& unsubscribe);

}  // namespace arkmq::core
