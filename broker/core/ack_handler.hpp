// Acknowledgements from the client for PUBLISHes the broker sent: PUBACK, PUBREC, PUBCOMP.
// They free the in-flight window, which then takes the next queued messages [MQTT-4.3, 4.9].
// Runs on the connection's worker thread under the broker lock.
#pragma once

#include "broker/core/connection_state.hpp"

namespace arkmq::core {

void handle_puback(ConnectionState& connection, const protocol::Puback& puback);
void handle_pubrec(ConnectionState& connection, const protocol::Pubrec& pubrec);
void handle_pubcomp(ConnectionState& connection, const protocol::Pubcomp& pubcomp);

}  // namespace arkmq::core
