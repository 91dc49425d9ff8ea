// How broker/app stores a core::Message in state.db: an MQTT v5 PUBLISH (topic, payload, QoS,
// retain, forwarded properties) behind a small envelope holding what PUBLISH cannot carry (the
// expiry as wall-clock time, the origin client id). Pure functions; owned by the durable-store
// engineer.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "broker/core/message.hpp"
#include "storage/state_records.hpp"

namespace arkmq::app {

// steady_clock does not survive a restart; wall-clock time does. One pair of readings taken
// together converts between them.
struct ClockPair {
  std::chrono::system_clock::time_point wall;
  std::chrono::steady_clock::time_point steady;
  static ClockPair now() {
    return {std::chrono::system_clock::now(), std::chrono::steady_clock::now()};
  }
  std::int64_t to_wall_us(std::chrono::steady_clock::time_point at) const;
  std::chrono::steady_clock::time_point to_steady(std::int64_t wall_us) const;
};

// Envelope version 1: [1][flags: bit 0 = has expiry][expiry: int64 BE wall us, if flagged]
// [origin client id: uint16 BE length + bytes][the PUBLISH packet, v5, fixed header included].
storage::StateBlob encode_stored_message(const core::Message& message, const ClockPair& clocks);

// The message back, its expiry converted to this process's steady_clock. An unknown envelope
// version or a PUBLISH the codec rejects is an error (the caller refuses the file).
tl::expected<core::MessagePtr, std::string> decode_stored_message(const storage::StateBlob& blob,
                                                                  const ClockPair& clocks);

}  // namespace arkmq::app
