// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (spec 3.8-3.11).
// Pure functions; any thread.
#include "broker/protocol/codec_detail.hpp"
#include "broker/protocol/reason_sets.hpp"

namespace arkmq::protocol {

namespace {

// The variable header all four packets share: a non-zero Packet Identifier, then (v5 only) the
// properties.
template <class P>
void read_header(WireReader& r, ProtocolVersion version, PropertyContext context, P& packet) {
  packet.packet_id = r.u16();
  if (r.ok() && packet.packet_id == 0) r.fail(ReasonCode::protocol_error);  // [MQTT-2.2.1-3]
  if (version == ProtocolVersion::v5) decode_properties(r, context, packet.properties);
}

// Writes what read_header reads.
template <class Sink, class P>
void write_header(Sink& s, const P& packet, ProtocolVersion version) {
  s.u16(packet.packet_id);
  if (version == ProtocolVersion::v5) write_properties(s, packet.properties);
}

// Subscription Options (3.8.3.1); 3.1.1 has only the QoS bits (3.8.3-4 of that spec).
SubscriptionOptions read_options(WireReader& r, ProtocolVersion version) {
  const std::uint8_t byte = r.u8();
  SubscriptionOptions options;
  const std::uint8_t reserved = version == ProtocolVersion::v5 ? 0xC0 : 0xFC;
  if ((byte & reserved) != 0) r.fail(ReasonCode::malformed_packet);  // v5 [MQTT-3.8.3-5]
  if ((byte & 0x03) == 3) {
    // v5 3.8.3.1: a protocol error; 3.1.1 [MQTT-3-8.3-4]: malformed.
    r.fail(version == ProtocolVersion::v5 ? ReasonCode::protocol_error
                                          : ReasonCode::malformed_packet);
  }
  options.max_qos = static_cast<QoS>(byte & 0x03);
  options.no_local = (byte & 0x04) != 0;
  options.retain_as_published = (byte & 0x08) != 0;
  options.retain_handling = static_cast<std::uint8_t>((byte >> 4) & 0x03);
  if (options.retain_handling == 3) r.fail(ReasonCode::protocol_error);  // 3.8.3.1
  return options;
}

std::uint8_t options_byte(const SubscriptionOptions& o, ProtocolVersion version) {
  auto byte = static_cast<std::uint8_t>(o.max_qos);
  if (version == ProtocolVersion::v5) {
    byte = static_cast<std::uint8_t>(byte | (o.no_local ? 0x04 : 0) |
                                     (o.retain_as_published ? 0x08 : 0) | (o.retain_handling << 4));
  }
  return byte;
}

// Reads the list of reason codes that fills the rest of a SUBACK/UNSUBACK.
void read_reasons(WireReader& r, const ReasonSet& allowed, std::vector<ReasonCode>& out) {
  if (r.ok() && r.empty()) r.fail(ReasonCode::protocol_error);  // at least one entry
  out.reserve(r.remaining());
  while (!r.empty()) {
    const std::uint8_t code = r.u8();
    if (!allowed.contains(code)) {
      r.fail(ReasonCode::protocol_error);
      break;
    }
    out.push_back(static_cast<ReasonCode>(code));
  }
}

// 3.1.1 SUBACK return codes: 0x00-0x02 granted QoS, 0x80 failure (3.9.3).
constexpr ReasonSet v311_suback_codes{0x00, 0x01, 0x02, 0x80};

std::uint8_t v311_suback_code(ReasonCode reason) {
  const auto code = static_cast<std::uint8_t>(reason);
  return code <= 0x02 ? code : 0x80;
}

}  // namespace

DecodeResult decode_subscribe(WireReader& r, ProtocolVersion version) {
  Subscribe subscribe;
  read_header(r, version, PropertyContext::subscribe, subscribe);
  if (r.ok() && r.empty()) r.fail(ReasonCode::protocol_error);  // [MQTT-3.8.3-2]
  while (!r.empty()) {
    TopicSubscription entry;
    entry.filter = r.utf8();
    entry.options = read_options(r, version);
    subscribe.subscriptions.push_back(std::move(entry));
  }
  return finish(r, std::move(subscribe));
}

DecodeResult decode_suback(WireReader& r, ProtocolVersion version) {
  Suback suback;
  read_header(r, version, PropertyContext::suback, suback);
  const bool v5 = version == ProtocolVersion::v5;
  read_reasons(r, v5 ? suback_reasons : v311_suback_codes, suback.reasons);
  return finish(r, std::move(suback));
}

DecodeResult decode_unsubscribe(WireReader& r, ProtocolVersion version) {
  Unsubscribe unsubscribe;
  read_header(r, version, PropertyContext::unsubscribe, unsubscribe);
  if (r.ok() && r.empty()) r.fail(ReasonCode::protocol_error);  // [MQTT-3.10.3-2]
  while (!r.empty()) unsubscribe.filters.push_back(r.utf8());
  return finish(r, std::move(unsubscribe));
}

DecodeResult decode_unsuback(WireReader& r, ProtocolVersion version) {
  Unsuback unsuback;
  read_header(r, version, PropertyContext::unsuback, unsuback);
  if (version == ProtocolVersion::v5) read_reasons(r, unsuback_reasons, unsuback.reasons);
  return finish(r, std::move(unsuback));  // 3.1.1: remaining length exactly 2
}

template <class Sink>
void write_body(Sink& s, const Subscribe& p, ProtocolVersion v) {
  write_header(s, p, v);
  for (const auto& entry : p.subscriptions) {
    s.string(entry.filter);
    s.u8(options_byte(entry.options, v));
  }
}

template <class Sink>
void write_body(Sink& s, const Suback& p, ProtocolVersion v) {
  write_header(s, p, v);
  const bool v5 = v == ProtocolVersion::v5;
  for (const auto reason : p.reasons) {
    s.u8(v5 ? static_cast<std::uint8_t>(reason) : v311_suback_code(reason));
  }
}

template <class Sink>
void write_body(Sink& s, const Unsubscribe& p, ProtocolVersion v) {
  write_header(s, p, v);
  for (const auto& filter : p.filters) s.string(filter);
}

template <class Sink>
void write_body(Sink& s, const Unsuback& p, ProtocolVersion v) {
  write_header(s, p, v);
  if (v == ProtocolVersion::v311) return;  // no payload in 3.1.1
  for (const auto reason : p.reasons) s.u8(static_cast<std::uint8_t>(reason));
}

template void write_body<ByteSink>(ByteSink&, const Subscribe&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Subscribe&, ProtocolVersion);
template void write_body<ByteSink>(ByteSink&, const Suback&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Suback&, ProtocolVersion);
template void write_body<ByteSink>(ByteSink&, const Unsubscribe&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Unsubscribe&, ProtocolVersion);
template void write_body<ByteSink>(ByteSink&, const Unsuback&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Unsuback&, ProtocolVersion);

}  // namespace arkmq::protocol
