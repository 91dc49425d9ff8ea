// Per-packet-group decoders and body writers behind codec.hpp's dispatch.
// Internal to arkmq_protocol; pure functions.
#pragma once

#include <cstdint>

#include <tl/expected.hpp>

#include "broker/protocol/codec.hpp"
#include "broker/protocol/property_codec.hpp"
#include "broker/protocol/wire.hpp"

namespace arkmq::protocol {

using DecodeResult = tl::expected<Packet, ReasonCode>;

// Each decoder gets the fixed header's flags (already checked by the dispatcher where they
// are fixed) and a reader over exactly the remaining length; it must consume all of it.
DecodeResult decode_connect(WireReader& body);
DecodeResult decode_connack(WireReader& body, ProtocolVersion version);
DecodeResult decode_publish(std::uint8_t flags, WireReader& body, ProtocolVersion version);
DecodeResult decode_ack(PacketType type, WireReader& body, ProtocolVersion version);
DecodeResult decode_subscribe(WireReader& body, ProtocolVersion version);
DecodeResult decode_suback(WireReader& body, ProtocolVersion version);
DecodeResult decode_unsubscribe(WireReader& body, ProtocolVersion version);
DecodeResult decode_unsuback(WireReader& body, ProtocolVersion version);
DecodeResult decode_disconnect(WireReader& body, ProtocolVersion version);
DecodeResult decode_auth(WireReader& body);

// The body writers (variable header + payload). Instantiated for ByteSink and SizeSink.
template <class Sink> void write_body(Sink& s, const Connect& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Connack& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Publish& p, ProtocolVersion v);
template <class Sink, PacketType T> void write_body(Sink& s, const Ack<T>& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Subscribe& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Suback& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Unsubscribe& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Unsuback& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Pingreq& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Pingresp& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Disconnect& p, ProtocolVersion v);
template <class Sink> void write_body(Sink& s, const Auth& p, ProtocolVersion v);

// Finishes a decoder: the reader's failure, or trailing bytes, wins over the packet.
template <class P>
DecodeResult finish(WireReader& body, P&& packet) {
  if (body.ok() && !body.empty()) body.fail(ReasonCode::malformed_packet);  // length mismatch
  if (!body.ok()) return tl::unexpected(body.error());
  return Packet{std::forward<P>(packet)};
}

}  // namespace arkmq::protocol
