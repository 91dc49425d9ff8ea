// PUBLISH and its acknowledgements PUBACK, PUBREC, PUBREL, PUBCOMP (spec 3.3-3.7).
// Pure functions; any thread.
#include "broker/protocol/codec_detail.hpp"
#include "broker/protocol/reason_sets.hpp"

namespace arkmq::protocol {

namespace {

// The property context of acknowledgement T; decode_ack instantiates only the four acks.
template <PacketType T>
constexpr PropertyContext ack_context() {
  static_assert(T == PacketType::puback || T == PacketType::pubrec || T == PacketType::pubrel ||
                T == PacketType::pubcomp);
  if constexpr (T == PacketType::pubrec) return PropertyContext::pubrec;
  if constexpr (T == PacketType::pubrel) return PropertyContext::pubrel;
  if constexpr (T == PacketType::pubcomp) return PropertyContext::pubcomp;
  return PropertyContext::puback;
}

template <PacketType T>
DecodeResult decode_ack_as(WireReader& r, ProtocolVersion version) {
  Ack<T> ack;
  ack.packet_id = r.u16();
  if (r.ok() && ack.packet_id == 0) r.fail(ReasonCode::protocol_error);  // [MQTT-2.2.1-3]
  // v5: remaining length 2 means Success and no properties (3.4.2.1); 3 means no properties.
  if (version == ProtocolVersion::v5 && r.ok() && !r.empty()) {
    const std::uint8_t code = r.u8();
    const bool pub = T == PacketType::puback || T == PacketType::pubrec;
    if (!(pub ? puback_reasons : pubrel_reasons).contains(code)) {
      r.fail(ReasonCode::protocol_error);
    }
    ack.reason = static_cast<ReasonCode>(code);
    if (!r.empty()) decode_properties(r, ack_context<T>(), ack.properties);
  }
  return finish(r, std::move(ack));
}

}  // namespace

DecodeResult decode_publish(std::uint8_t flags, WireReader& r, ProtocolVersion version) {
  Publish publish;
  const auto qos = static_cast<std::uint8_t>((flags >> 1) & 0x03);
  if (qos == 3) return tl::unexpected(ReasonCode::malformed_packet);  // [MQTT-3.3.1-4]
  publish.qos = static_cast<QoS>(qos);
  publish.dup = (flags & 0x08) != 0;
  publish.retain = (flags & 0x01) != 0;
  if (publish.dup && qos == 0) return tl::unexpected(ReasonCode::malformed_packet);  // [MQTT-3.3.1-2]
  publish.topic = r.utf8();  // wildcards and emptiness are checked by the session
  if (qos != 0) {
    publish.packet_id = r.u16();
    if (r.ok() && publish.packet_id == 0) r.fail(ReasonCode::protocol_error);  // [MQTT-2.2.1-3]
  }
  if (version == ProtocolVersion::v5) decode_properties(r, PropertyContext::publish, publish.properties);
  if (!r.ok()) return tl::unexpected(r.error());
  const auto payload = r.rest();
  publish.payload.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
  return finish(r, std::move(publish));
}

DecodeResult decode_ack(PacketType type, WireReader& r, ProtocolVersion version) {
  switch (type) {
    case PacketType::puback: return decode_ack_as<PacketType::puback>(r, version);
    case PacketType::pubrec: return decode_ack_as<PacketType::pubrec>(r, version);
    case PacketType::pubrel: return decode_ack_as<PacketType::pubrel>(r, version);
    case PacketType::pubcomp: return decode_ack_as<PacketType::pubcomp>(r, version);
    case PacketType::connect:
    case PacketType::connack:
    case PacketType::publish:
    case PacketType::subscribe:
    case PacketType::suback:
    case PacketType::unsubscribe:
    case PacketType::unsuback:
    case PacketType::pingreq:
    case PacketType::pingresp:
    case PacketType::disconnect:
    case PacketType::auth: break;
  }
  return tl::unexpected(ReasonCode::malformed_packet);
}

template <class Sink>
void write_body(Sink& s, const Publish& p, ProtocolVersion v) {
  s.string(p.topic);
  if (p.qos != QoS::at_most_once) s.u16(p.packet_id);
  if (v == ProtocolVersion::v5) write_properties(s, p.properties);
  s.raw(p.payload);
}

template <class Sink, PacketType T>
void write_body(Sink& s, const Ack<T>& p, ProtocolVersion v) {
  s.u16(p.packet_id);
  if (v == ProtocolVersion::v311) return;
  const bool no_properties = is_empty(p.properties);
  if (p.reason == ReasonCode::success && no_properties) return;  // short form
  s.u8(static_cast<std::uint8_t>(p.reason));
  if (!no_properties) write_properties(s, p.properties);
}

template void write_body<ByteSink>(ByteSink&, const Publish&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Publish&, ProtocolVersion);
template void write_body<ByteSink, PacketType::puback>(ByteSink&, const Puback&, ProtocolVersion);
template void write_body<SizeSink, PacketType::puback>(SizeSink&, const Puback&, ProtocolVersion);
template void write_body<ByteSink, PacketType::pubrec>(ByteSink&, const Pubrec&, ProtocolVersion);
template void write_body<SizeSink, PacketType::pubrec>(SizeSink&, const Pubrec&, ProtocolVersion);
template void write_body<ByteSink, PacketType::pubrel>(ByteSink&, const Pubrel&, ProtocolVersion);
template void write_body<SizeSink, PacketType::pubrel>(SizeSink&, const Pubrel&, ProtocolVersion);
template void write_body<ByteSink, PacketType::pubcomp>(ByteSink&, const Pubcomp&, ProtocolVersion);
template void write_body<SizeSink, PacketType::pubcomp>(SizeSink&, const Pubcomp&, ProtocolVersion);

}  // namespace arkmq::protocol
