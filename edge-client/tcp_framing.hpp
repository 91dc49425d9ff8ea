// The TCP backend's framing (docs/edge.md, "TCP backends"): each message is a 4-byte big-endian
// length followed by that many bytes; one request frame and one reply frame per connection. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace arkmq::edge {

inline constexpr std::uint32_t kMaxTcpFrame = 16 * 1024 * 1024;

std::string encode_frame(std::string_view payload);

// Accumulates bytes until one frame is complete.
class FrameReader {
 public:
  enum class State { need_more, complete, too_large };
  State feed(std::string_view bytes);
  const std::string& payload() const { return payload_; }

 private:
  std::string header_;
  std::optional<std::uint32_t> length_;
  std::string payload_;
};

}  // namespace arkmq::edge
