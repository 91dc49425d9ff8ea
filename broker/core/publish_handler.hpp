// Inbound PUBLISH and PUBREL: the pipeline validate -> authorize -> retain -> route -> ack
// (STYLE.md 2, steps 3-10), inbound topic aliases and QoS 2 exactly-once [MQTT-4.3.3].
// Runs on the connection's worker thread; takes the broker lock for authorize..ack.
#pragma once

#include "broker/core/connection_state.hpp"

namespace arkmq::core {

void handle_publish(ConnectionState& connection, protocol::Publish&& publish);
void handle_pubrel(ConnectionState& connection, const protocol::Pubrel& pubrel);

}  // namespace arkmq::core
