// Conversions between Paho's messages and EdgeMessage (MQTT 5 properties both ways).
// Pure; any thread.
#pragma once

#include <mqtt/message.h>

#include "edge-client/message.hpp"

namespace arkmq::edge {

EdgeMessage from_paho(const mqtt::message& message);
mqtt::message_ptr to_paho(const EdgeMessage& message);

}  // namespace arkmq::edge
