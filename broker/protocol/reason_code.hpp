// MQTT 5 reason codes (spec 2.4) and the MQTT 3.1.1 return codes they map to on the wire.
// Value type, no state: usable from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace arkmq::protocol {

// Enumerators copy the spec's names and byte values. Several v5 codes share a byte
// (0x00 is success, normal disconnection and granted QoS 0); those aliases are constants below.
enum class ReasonCode : std::uint8_t {
  success = 0x00,
  granted_qos_1 = 0x01,
  granted_qos_2 = 0x02,
  disconnect_with_will_message = 0x04,
  no_matching_subscribers = 0x10,
  no_subscription_existed = 0x11,
  continue_authentication = 0x18,
  re_authenticate = 0x19,
  unspecified_error = 0x80,
  malformed_packet = 0x81,
  protocol_error = 0x82,
  implementation_specific_error = 0x83,
  unsupported_protocol_version = 0x84,
  client_identifier_not_valid = 0x85,
  bad_user_name_or_password = 0x86,
  not_authorized = 0x87,
  server_unavailable = 0x88,
  server_busy = 0x89,
  banned = 0x8A,
  server_shutting_down = 0x8B,
  bad_authentication_method = 0x8C,
  keep_alive_timeout = 0x8D,
  session_taken_over = 0x8E,
  topic_filter_invalid = 0x8F,
  topic_name_invalid = 0x90,
  packet_identifier_in_use = 0x91,
  packet_identifier_not_found = 0x92,
  receive_maximum_exceeded = 0x93,
  topic_alias_invalid = 0x94,
  packet_too_large = 0x95,
  message_rate_too_high = 0x96,
  quota_exceeded = 0x97,
  administrative_action = 0x98,
  payload_format_invalid = 0x99,
  retain_not_supported = 0x9A,
  qos_not_supported = 0x9B,
  use_another_server = 0x9C,
  server_moved = 0x9D,
  shared_subscriptions_not_supported = 0x9E,
  connection_rate_exceeded = 0x9F,
  maximum_connect_time = 0xA0,
  subscription_identifiers_not_supported = 0xA1,
  wildcard_subscriptions_not_supported = 0xA2,
};

inline constexpr ReasonCode normal_disconnection = ReasonCode::success;
inline constexpr ReasonCode granted_qos_0 = ReasonCode::success;

// True for 0x80 and above: the operation failed [MQTT-2.4].
constexpr bool is_error(ReasonCode code) { return static_cast<std::uint8_t>(code) >= 0x80; }

// The spec's name for a code, for logs ("not authorized").
std::string_view to_string(ReasonCode code);

// MQTT 3.1.1 CONNACK return code (3.2.2.3) closest to a v5 CONNACK reason code.
std::uint8_t to_v311_connack_code(ReasonCode code);

}  // namespace arkmq::protocol
