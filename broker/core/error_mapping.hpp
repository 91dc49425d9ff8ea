// The ONE place a failure becomes wire behaviour (STYLE.md 2): a CONNACK code, a DISCONNECT
// code, an ack code, or a plain close, by where it happened and the protocol version.
// Pure function; any thread.
#pragma once

#include "broker/protocol/packets.hpp"
#include "broker/protocol/reason_code.hpp"

namespace arkmq::core {

enum class FailureStage {
  before_connect,  // no valid CONNECT yet: the version is unknown
  connect,         // refusing a CONNECT
  publish_ack,     // a QoS 1/2 PUBLISH that is refused but not a protocol violation
  subscription,    // one filter of SUBSCRIBE / UNSUBSCRIBE
  connection,      // a protocol violation or timeout on an established connection
};

struct WireResponse {
  enum class Kind { connack, disconnect, ack, close };
  Kind kind = Kind::close;
  protocol::ReasonCode code = protocol::ReasonCode::success;
  bool then_close = true;  // false only for ack
};

// - connect: v5 CONNACK with the code; v3.1.1 CONNACK with the closest return code
//   (to_v311_connack_code), except malformed/protocol errors which just close [MQTT-3.1.4-1].
// - publish_ack: v5 PUBACK/PUBREC with the code; v3.1.1 has no negative ack, so the message is
//   acked with success and dropped.
// - subscription: v5 the code; v3.1.1 0x80 for any failure.
// - connection: v5 DISCONNECT with the code, then close [MQTT-4.13.2-1]; v3.1.1 close.
// - before_connect: close.
WireResponse wire_response(protocol::ReasonCode failure, FailureStage stage,
                           protocol::ProtocolVersion version);

}  // namespace arkmq::core
