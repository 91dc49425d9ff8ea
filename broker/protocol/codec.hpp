// Encoding and decoding of whole MQTT control packets, both protocol versions. Pure functions:
// no I/O, no allocation beyond the packet itself, no exceptions. Malformed input yields a reason code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <tl/expected.hpp>

#include "broker/protocol/packets.hpp"

namespace arkmq::protocol {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// The fixed header of a packet at the start of a buffer (spec 2.1).
struct FrameHeader {
  std::uint8_t first_byte = 0;         // packet type (high nibble) and flags (low nibble)
  std::uint32_t remaining_length = 0;  // variable header + payload
  std::size_t header_size = 0;         // 2 to 5 bytes
  std::size_t total_size() const { return header_size + remaining_length; }
};

enum class FrameStatus {
  need_more,    // not enough bytes yet for the fixed header or the whole packet
  complete,     // header is filled and buffer holds at least total_size() bytes
  malformed,    // bad variable byte integer (more than 4 bytes) or reserved packet type 0
  too_large,    // total_size() exceeds max_packet_size; checked before the body arrives
};

// Reads the fixed header at the start of `buffer`. Checks the size limit as soon as the
// remaining length is known, so an oversized packet is refused before it is buffered.
FrameStatus peek_frame(ByteView buffer, std::uint32_t max_packet_size, FrameHeader& header);

// Decodes one whole packet (fixed header included, exactly header.total_size() bytes).
// `version` is the connection's protocol version; CONNECT carries its own and ignores it.
// Errors: malformed_packet, protocol_error (e.g. a property not allowed, a duplicate property,
// reserved flag bits), unsupported_protocol_version (CONNECT with an unknown level or name),
// topic_name_invalid / topic_filter_invalid is NOT decided here (that is session logic),
// but strings are checked for well-formed UTF-8 without U+0000 [MQTT-1.5.4-1..3].
tl::expected<Packet, ReasonCode> decode_packet(ByteView frame, ProtocolVersion version);

// Appends the wire form of `packet` for `version` to `out`. Properties are dropped for v311.
void encode_packet(const Packet& packet, ProtocolVersion version, Bytes& out);

// Size of the wire form of `packet`, for Maximum Packet Size checks before encoding.
std::size_t encoded_size(const Packet& packet, ProtocolVersion version);

}  // namespace arkmq::protocol
