// Names of the MQTT 5 reason codes and their MQTT 3.1.1 CONNACK equivalents.
// Pure functions; any thread.
#include "broker/protocol/reason_code.hpp"

namespace arkmq::protocol {

std::string_view to_string(ReasonCode code) {
  switch (code) {
    case ReasonCode::success: return "success";
    case ReasonCode::granted_qos_1: return "granted QoS 1";
    case ReasonCode::granted_qos_2: return "granted QoS 2";
    case ReasonCode::disconnect_with_will_message: return "disconnect with will message";
    case ReasonCode::no_matching_subscribers: return "no matching subscribers";
    case ReasonCode::no_subscription_existed: return "no subscription existed";
    case ReasonCode::continue_authentication: return "continue authentication";
    case ReasonCode::re_authenticate: return "re-authenticate";
    case ReasonCode::unspecified_error: return "unspecified error";
    case ReasonCode::malformed_packet: return "malformed packet";
    case ReasonCode::protocol_error: return "protocol error";
    case ReasonCode::implementation_specific_error: return "implementation specific error";
    case ReasonCode::unsupported_protocol_version: return "unsupported protocol version";
    case ReasonCode::client_identifier_not_valid: return "client identifier not valid";
    case ReasonCode::bad_user_name_or_password: return "bad user name or password";
    case ReasonCode::not_authorized: return "not authorized";
    case ReasonCode::server_unavailable: return "server unavailable";
    case ReasonCode::server_busy: return "server busy";
    case ReasonCode::banned: return "banned";
    case ReasonCode::server_shutting_down: return "server shutting down";
    case ReasonCode::bad_authentication_method: return "bad authentication method";
    case ReasonCode::keep_alive_timeout: return "keep alive timeout";
    case ReasonCode::session_taken_over: return "session taken over";
    case ReasonCode::topic_filter_invalid: return "topic filter invalid";
    case ReasonCode::topic_name_invalid: return "topic name invalid";
    case ReasonCode::packet_identifier_in_use: return "packet identifier in use";
    case ReasonCode::packet_identifier_not_found: return "packet identifier not found";
    case ReasonCode::receive_maximum_exceeded: return "receive maximum exceeded";
    case ReasonCode::topic_alias_invalid: return "topic alias invalid";
    case ReasonCode::packet_too_large: return "packet too large";
    case ReasonCode::message_rate_too_high: return "message rate too high";
    case ReasonCode::quota_exceeded: return "quota exceeded";
    case ReasonCode::administrative_action: return "administrative action";
    case ReasonCode::payload_format_invalid: return "payload format invalid";
    case ReasonCode::retain_not_supported: return "retain not supported";
    case ReasonCode::qos_not_supported: return "QoS not supported";
    case ReasonCode::use_another_server: return "use another server";
    case ReasonCode::server_moved: return "server moved";
    case ReasonCode::shared_subscriptions_not_supported: return "shared subscriptions not supported";
    case ReasonCode::connection_rate_exceeded: return "connection rate exceeded";
    case ReasonCode::maximum_connect_time: return "maximum connect time";
    case ReasonCode::subscription_identifiers_not_supported:
      return "subscription identifiers not supported";
    case ReasonCode::wildcard_subscriptions_not_supported:
      return "wildcard subscriptions not supported";
  }
  return "unknown reason code";  // a byte outside the enumerators, e.g. from a peer
}

// 3.1.1 return codes (3.2.2.3): 0 accepted, 1 unacceptable protocol version, 2 identifier
// rejected, 3 server unavailable, 4 bad user name or password, 5 not authorized.
// v5 codes without a 3.1.1 counterpart become "server unavailable", the generic refusal.
std::uint8_t to_v311_connack_code(ReasonCode code) {
  switch (code) {
    case ReasonCode::success: return 0;
    case ReasonCode::unsupported_protocol_version: return 1;
    case ReasonCode::client_identifier_not_valid: return 2;
    case ReasonCode::bad_user_name_or_password:
    case ReasonCode::bad_authentication_method: return 4;
    case ReasonCode::not_authorized:
    case ReasonCode::banned: return 5;
    case ReasonCode::granted_qos_1:
    case ReasonCode::granted_qos_2:
    case ReasonCode::disconnect_with_will_message:
    case ReasonCode::no_matching_subscribers:
    case ReasonCode::no_subscription_existed:
    case ReasonCode::continue_authentication:
    case ReasonCode::re_authenticate:
    case ReasonCode::unspecified_error:
    case ReasonCode::malformed_packet:
    case ReasonCode::protocol_error:
    case ReasonCode::implementation_specific_error:
    case ReasonCode::server_unavailable:
    case ReasonCode::server_busy:
    case ReasonCode::server_shutting_down:
    case ReasonCode::keep_alive_timeout:
    case ReasonCode::session_taken_over:
    case ReasonCode::topic_filter_invalid:
    case ReasonCode::topic_name_invalid:
    case ReasonCode::packet_identifier_in_use:
    case ReasonCode::packet_identifier_not_found:
    case ReasonCode::receive_maximum_exceeded:
    case ReasonCode::topic_alias_invalid:
    case ReasonCode::packet_too_large:
    case ReasonCode::message_rate_too_high:
    case ReasonCode::quota_exceeded:
    case ReasonCode::administrative_action:
    case ReasonCode::payload_format_invalid:
    case ReasonCode::retain_not_supported:
    case ReasonCode::qos_not_supported:
    case ReasonCode::use_another_server:
    case ReasonCode::server_moved:
    case ReasonCode::shared_subscriptions_not_supported:
    case ReasonCode::connection_rate_exceeded:
    case ReasonCode::maximum_connect_time:
    case ReasonCode::subscription_identifiers_not_supported:
    case ReasonCode::wildcard_subscriptions_not_supported: return 3;
  }
  return 3;
}

}  // namespace arkmq::protocol
