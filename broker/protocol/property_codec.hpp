// Encoding and decoding of the MQTT 5 property block (spec 2.2.2), with the per-packet allowed set.
// Internal to arkmq_protocol; pure functions.
#pragma once

#include <cstdint>

#include "broker/protocol/properties.hpp"
#include "broker/protocol/wire.hpp"

namespace arkmq::protocol {

// Where a property block sits; decides which identifiers are allowed (spec table 2.2.2.2).
enum class PropertyContext : std::uint8_t {
  connect, connack, publish, will, puback, pubrec, pubrel, pubcomp,
  subscribe, suback, unsubscribe, unsuback, disconnect, auth,
};

// Reads Property Length and the properties into `out`. Failures are recorded on `reader`:
// malformed_packet for unknown identifiers or bad lengths, protocol_error for an identifier
// the context does not allow, a duplicate, or a value the spec forbids (e.g. Receive Maximum 0).
void decode_properties(WireReader& reader, PropertyContext context, Properties& out);

bool is_empty(const Properties& properties);

// Writes the set properties (no Property Length).
template <class Sink>
void write_property_list(Sink& sink, const Properties& properties);

// Writes Property Length then the properties.
template <class Sink>
void write_properties(Sink& sink, const Properties& properties) {
  SizeSink counter;
  write_property_list(counter, properties);
  sink.varint(static_cast<std::uint32_t>(counter.size()));
  write_property_list(sink, properties);
}

}  // namespace arkmq::protocol
