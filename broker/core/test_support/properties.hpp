// One-property builders for the CONNECT/SUBSCRIBE properties core tests send.
// Test-only; pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "broker/protocol/properties.hpp"

namespace arkmq::core::test {

inline protocol::Properties session_expiry(std::uint32_t seconds) {
  protocol::Properties p;
  p.session_expiry_interval = seconds;
  return p;
}

// A Receive Maximum, plus a Session Expiry Interval when `expiry_seconds` is not 0.
inline protocol::Properties receive_maximum(std::uint16_t n, std::uint32_t expiry_seconds = 0) {
  protocol::Properties p;
  p.receive_maximum = n;
  if (expiry_seconds != 0) p.session_expiry_interval = expiry_seconds;
  return p;
}

inline protocol::Properties maximum_packet_size(std::size_t size) {
  protocol::Properties p;
  p.maximum_packet_size = static_cast<std::uint32_t>(size);
  return p;
}

inline protocol::Properties subscription_identifier(std::uint32_t id) {
  protocol::Properties p;
  p.subscription_identifiers = {id};
  return p;
}

}  // namespace arkmq::core::test
