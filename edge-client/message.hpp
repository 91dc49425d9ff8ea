// A plain MQTT 5 message as arkmq-edge's logic sees it (no Paho types), so dispatch, bridge
// rules and the outbox are testable without a broker. Value type; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace arkmq::edge {

using UserProperties = std::vector<std::pair<std::string, std::string>>;

struct EdgeMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  std::string response_topic;
  std::string correlation_data;
  std::string content_type;
  std::optional<std::uint32_t> message_expiry_s;
  std::optional<std::uint8_t> payload_format;
  UserProperties user_properties;

  // The first user property with this name.
  std::optional<std::string> user_property(std::string_view name) const;
  // Replaces every user property of that name with one (name, value).
  void set_user_property(const std::string& name, const std::string& value);
};

}  // namespace arkmq::edge
