// Helpers shared by the codec unit tests: framing, round trips, byte-at-a-time feeding.
// Test-only; single-threaded.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "broker/protocol/codec.hpp"

namespace arkmq::protocol::test {

Bytes encode(const Packet& packet, ProtocolVersion version);

// Prefixes `body` with a fixed header: `first_byte` and the remaining length.
Bytes frame(std::uint8_t first_byte, const Bytes& body);

// Appends a UTF-8/binary string (two-byte length + bytes) to `out`.
void append_string(Bytes& out, std::string_view text);

Bytes bytes(std::initializer_list<int> values);

tl::expected<Packet, ReasonCode> decode(const Bytes& wire, ProtocolVersion version);

// Encodes `packet`, checks encoded_size, feeds the frame one byte at a time through peek_frame,
// decodes it and returns the decoded packet (or the reason code).
tl::expected<Packet, ReasonCode> round_trip(const Packet& packet, ProtocolVersion version);

// A properties block with one of everything `kind` allows, values distinct from defaults.
Properties rich_connect_properties();
Properties rich_connack_properties();
Properties rich_publish_properties();
Properties rich_will_properties();
Properties reason_properties();  // reason string + user properties: acks, SUBACK, UNSUBACK

}  // namespace arkmq::protocol::test
