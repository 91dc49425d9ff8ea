// In-place reading of an MQTT 5 PUBLISH for the reqresp scenario: topic, packet id, the request /
// response properties (Response Topic, Correlation Data, the `svc-status` and `svc-error` user
// properties) and the payload, as views into the frame (no allocation). Pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace arkmq::bench {

struct ScannedPublish {
  std::uint8_t qos = 0;
  std::uint16_t packet_id = 0;
  std::string_view topic;
  std::optional<std::string_view> response_topic;
  std::optional<std::string_view> correlation;  // binary
  std::optional<std::string_view> svc_status;   // user property svc-status
  std::optional<std::string_view> svc_error;    // user property svc-error
  std::span<const std::uint8_t> payload;
};

// frame: one whole PUBLISH (fixed header included) of an MQTT 5 connection; header_size: the
// fixed header's length. nullopt when the frame is malformed [MQTT-3.3.2] [MQTT-2.2.2].
std::optional<ScannedPublish> scan_publish_v5(std::span<const std::uint8_t> frame,
                                              std::size_t header_size);

}  // namespace arkmq::bench
