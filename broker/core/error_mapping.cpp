// Failure -> wire behaviour.
#include "broker/core/error_mapping.hpp"

namespace arkmq::core {

using protocol::ProtocolVersion;
using protocol::ReasonCode;

WireResponse wire_response(ReasonCode failure, FailureStage stage, ProtocolVersion version) {
  const bool v5 = version == ProtocolVersion::v5;
  using Kind = WireResponse::Kind;
  switch (stage) {
    case FailureStage::before_connect:
      return {Kind::close, failure, true};
    case FailureStage::connect:
      if (!v5 && (failure == ReasonCode::malformed_packet || failure == ReasonCode::protocol_error)) {
        return {Kind::close, failure, true};
      }
      return {Kind::connack, failure, true};
    case FailureStage::publish_ack:
      return {Kind::ack, v5 ? failure : ReasonCode::success, false};
    case FailureStage::subscription:
      return {Kind::ack, v5 ? failure : ReasonCode::unspecified_error, false};
    case FailureStage::connection:
      return {v5 ? Kind::disconnect : Kind::close, failure, true};
  }
  return {Kind::close, failure, true};
}

}  // namespace arkmq::core
