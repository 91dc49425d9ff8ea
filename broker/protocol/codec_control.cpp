// PINGREQ, PINGRESP, DISCONNECT and AUTH (spec 3.12-3.15).
// Pure functions; any thread.
#include "broker/protocol/codec_detail.hpp"
#include "broker/protocol/reason_sets.hpp"

namespace arkmq::protocol {

namespace {

// DISCONNECT and AUTH: remaining length 0 means Success and no properties (3.14.2.1, 3.15.2.1);
// a lone reason code means no properties.
template <class P>
DecodeResult decode_reason_and_properties(WireReader& r, const ReasonSet& allowed,
                                          PropertyContext context) {
  P packet;
  if (!r.empty()) {
    const std::uint8_t code = r.u8();
    if (!allowed.contains(code)) return tl::unexpected(ReasonCode::protocol_error);
    packet.reason = static_cast<ReasonCode>(code);
    if (!r.empty()) decode_properties(r, context, packet.properties);
  }
  return finish(r, std::move(packet));
}

template <class Sink, class P>
void write_reason_and_properties(Sink& s, const P& p) {
  const bool no_properties = is_empty(p.properties);
  if (p.reason == ReasonCode::success && no_properties) return;
  s.u8(static_cast<std::uint8_t>(p.reason));
  if (!no_properties) write_properties(s, p.properties);
}

}  // namespace

DecodeResult decode_disconnect(WireReader& r, ProtocolVersion version) {
  if (version == ProtocolVersion::v311) return finish(r, Disconnect{});  // no variable header
  return decode_reason_and_properties<Disconnect>(r, disconnect_reasons, PropertyContext::disconnect);
}

DecodeResult decode_auth(WireReader& r) {
  auto result = decode_reason_and_properties<Auth>(r, auth_reasons, PropertyContext::auth);
  if (result) {
    const auto& props = std::get<Auth>(*result).properties;
    // 3.15.2.2.2/3: AUTH with properties names its method; data needs a method.
    if (props.authentication_data && !props.authentication_method) {
      return tl::unexpected(ReasonCode::protocol_error);
    }
  }
  return result;
}

template <class Sink>
void write_body(Sink&, const Pingreq&, ProtocolVersion) {}

template <class Sink>
void write_body(Sink&, const Pingresp&, ProtocolVersion) {}

template <class Sink>
void write_body(Sink& s, const Disconnect& p, ProtocolVersion v) {
  if (v == ProtocolVersion::v311) return;  // remaining length 0
  write_reason_and_properties(s, p);
}

// AUTH exists only in v5; it is written in the v5 form whatever the connection's version.
template <class Sink>
void write_body(Sink& s, const Auth& p, ProtocolVersion) {
  write_reason_and_properties(s, p);
}

template void write_body<ByteSink>(ByteSink&, const Pingreq&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Pingreq&, ProtocolVersion);
template void write_body<ByteSink>(ByteSink&, const Pingresp&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Pingresp&, ProtocolVersion);
template void write_body<ByteSink>(ByteSink&, const Disconnect&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Disconnect&, ProtocolVersion);
template void write_body<ByteSink>(ByteSink&, const Auth&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Auth&, ProtocolVersion);

}  // namespace arkmq::protocol
