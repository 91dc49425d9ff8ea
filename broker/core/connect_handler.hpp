// CONNECT -> CONNACK: validation, authentication, session expiry, keep alive, clean start,
// session takeover and resumption, the v5 CONNACK properties [MQTT-3.1, 3.2].
// Runs on the connection's worker thread; takes the broker lock for the session part only.
#pragma once

#include "broker/core/connection_state.hpp"

namespace arkmq::core {

void handle_connect(ConnectionState& connection, protocol::Connect&& connect);

// The client's services inbox "$svc/inbox/<client id>/" (services::inbox_prefix) when the client
// id is one valid topic level; empty otherwise (such a client has no inbox).
// Sent as Response Information when the client asks for it [MQTT-3.1.2.11.7].
std::string response_information_for(std::string_view client_id);

}  // namespace arkmq::core
