// The first 16 payload bytes of every benchmark PUBLISH: publisher index and sequence number in
// one little-endian word (24 + 40 bits), then the send time (steady_clock ns). Any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace arkmq::bench {

inline constexpr std::size_t stamp_size = 16;
inline constexpr unsigned sequence_bits = 40;
inline constexpr std::uint32_t max_publishers = 1U << 24;

struct Stamp {
  std::uint32_t publisher = 0;  // < max_publishers
  std::uint64_t sequence = 0;   // < 2^40
  std::uint64_t sent_ns = 0;
  bool operator==(const Stamp&) const = default;
};

inline void put_u64(std::uint8_t* at, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

inline std::uint64_t get_u64(const std::uint8_t* at) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | at[i];
  return value;
}

// Writes the stamp into the first 16 bytes of `payload` (which must hold at least 16).
inline void write_stamp(std::uint8_t* payload, const Stamp& stamp) {
  const std::uint64_t mask = (std::uint64_t{1} << sequence_bits) - 1;
  put_u64(payload, (std::uint64_t{stamp.publisher} << sequence_bits) | (stamp.sequence & mask));
  put_u64(payload + 8, stamp.sent_ns);
}

// nullopt when the payload is shorter than a stamp (not one of ours).
inline std::optional<Stamp> read_stamp(std::span<const std::uint8_t> payload) {
  if (payload.size() < stamp_size) return std::nullopt;
  const std::uint64_t word = get_u64(payload.data());
  Stamp stamp;
  stamp.publisher = static_cast<std::uint32_t>(word >> sequence_bits);
  stamp.sequence = word & ((std::uint64_t{1} << sequence_bits) - 1);
  stamp.sent_ns = get_u64(payload.data() + 8);
  return stamp;
}

}  // namespace arkmq::bench
