// DISCONNECT from the client: normal (no will) or with will, and the v5 Session Expiry
// Interval update [MQTT-3.14.2-2, 3.14.4]. Runs on the connection's worker thread.
#pragma once

#include "broker/core/connection_state.hpp"

namespace arkmq::core {

void handle_disconnect(ConnectionState& connection, const protocol::Disconnect& disconnect);

}  // namespace arkmq::core
