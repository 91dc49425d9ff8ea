// One application message as the broker keeps it between receipt and delivery: immutable and
// shared (retained store, session queues, deliveries) through std::shared_ptr<const Message>.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "broker/protocol/packets.hpp"

namespace arkmq::core {

struct Message {
  std::string topic;
  std::string payload;
  protocol::QoS qos = protocol::QoS::at_most_once;
  bool retain = false;
  // Forwarded untouched to v5 subscribers [MQTT-3.3.2-*]: payload format, content type,
  // response topic, correlation data, user properties. Never topic alias or subscription ids.
  protocol::Properties properties;
  std::string origin_client_id;  // for No Local
  // When the message expires; nullopt when it has no Message Expiry Interval.
  std::optional<std::chrono::steady_clock::time_point> expires_at;
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace arkmq::core
