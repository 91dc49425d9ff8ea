// CONNECT and CONNACK (spec 3.1, 3.2) for MQTT 3.1, 3.1.1 and 5.0.
// Pure functions; any thread.
#include "broker/protocol/codec_detail.hpp"
#include "broker/protocol/reason_sets.hpp"

namespace arkmq::protocol {

namespace {

constexpr std::uint8_t flag_reserved = 0x01;
constexpr std::uint8_t flag_clean_start = 0x02;
constexpr std::uint8_t flag_will = 0x04;
constexpr std::uint8_t flag_will_retain = 0x20;
constexpr std::uint8_t flag_password = 0x40;
constexpr std::uint8_t flag_username = 0x80;

tl::expected<ProtocolVersion, ReasonCode> read_protocol(WireReader& r) {
  const std::string name = r.binary();
  const std::uint8_t level = r.u8();
  if (!r.ok()) return tl::unexpected(r.error());
  if (name == "MQTT" && level == 4) return ProtocolVersion::v311;
  if (name == "MQTT" && level == 5) return ProtocolVersion::v5;
  if (name == "MQIsdp" && level == 3) return ProtocolVersion::v311;  // MQTT 3.1, same layout
  return tl::unexpected(ReasonCode::unsupported_protocol_version);  // [MQTT-3.1.2-2]
}

// [MQTT-3.1.2.11.10]: Authentication Data without a method is a protocol error.
bool has_orphan_auth_data(const Properties& p) {
  return p.authentication_data && !p.authentication_method;
}

// v3.1.1 CONNACK return codes 0-5 (3.2.2.3); 6-255 are reserved.
tl::expected<ReasonCode, ReasonCode> from_v311_connack_code(std::uint8_t code) {
  switch (code) {
    case 0: return ReasonCode::success;
    case 1: return ReasonCode::unsupported_protocol_version;
    case 2: return ReasonCode::client_identifier_not_valid;
    case 3: return ReasonCode::server_unavailable;
    case 4: return ReasonCode::bad_user_name_or_password;
    case 5: return ReasonCode::not_authorized;
    default: return tl::unexpected(ReasonCode::malformed_packet);
  }
}

}  // namespace

DecodeResult decode_connect(WireReader& r) {
  const auto version = read_protocol(r);
  if (!version) return tl::unexpected(version.error());
  const bool v5 = *version == ProtocolVersion::v5;
  const std::uint8_t flags = r.u8();
  const std::uint16_t keep_alive = r.u16();
  if (!r.ok()) return tl::unexpected(r.error());
  if ((flags & flag_reserved) != 0) return tl::unexpected(ReasonCode::malformed_packet);  // [MQTT-3.1.2-3]
  const bool has_will = (flags & flag_will) != 0;
  const auto will_qos = static_cast<std::uint8_t>((flags >> 3) & 0x03);
  const bool will_retain = (flags & flag_will_retain) != 0;
  if (will_qos == 3) return tl::unexpected(ReasonCode::malformed_packet);  // [MQTT-3.1.2-14]
  if (!has_will && (will_qos != 0 || will_retain)) {
    return tl::unexpected(ReasonCode::malformed_packet);  // [MQTT-3.1.2-13], [MQTT-3.1.2-15]
  }
  const bool has_password = (flags & flag_password) != 0;
  const bool has_username = (flags & flag_username) != 0;
  if (!v5 && has_password && !has_username) {
    return tl::unexpected(ReasonCode::protocol_error);  // 3.1.1 [MQTT-3.1.2-22]
  }

  Connect connect;
  connect.version = *version;
  connect.clean_start = (flags & flag_clean_start) != 0;
  connect.keep_alive = keep_alive;
  if (v5) decode_properties(r, PropertyContext::connect, connect.properties);
  connect.client_id = r.utf8();  // [MQTT-3.1.3-4]
  if (has_will) {
    Will will;
    will.qos = static_cast<QoS>(will_qos);
    will.retain = will_retain;
    if (v5) decode_properties(r, PropertyContext::will, will.properties);
    will.topic = r.utf8();
    will.payload = r.binary();
    connect.will = std::move(will);
  }
  if (has_username) connect.username = r.utf8();
  if (has_password) connect.password = r.binary();
  if (r.ok() && has_orphan_auth_data(connect.properties)) r.fail(ReasonCode::protocol_error);
  return finish(r, std::move(connect));
}

DecodeResult decode_connack(WireReader& r, ProtocolVersion version) {
  Connack connack;
  const std::uint8_t flags = r.u8();
  const std::uint8_t code = r.u8();
  if (!r.ok()) return tl::unexpected(r.error());
  if ((flags & 0xFE) != 0) return tl::unexpected(ReasonCode::malformed_packet);  // [MQTT-3.2.2-1]
  connack.session_present = (flags & 0x01) != 0;
  if (version == ProtocolVersion::v311) {
    const auto reason = from_v311_connack_code(code);
    if (!reason) return tl::unexpected(reason.error());
    connack.reason = *reason;
    return finish(r, std::move(connack));
  }
  if (!connack_reasons.contains(code)) return tl::unexpected(ReasonCode::protocol_error);
  connack.reason = static_cast<ReasonCode>(code);
  // Property Length is tolerated missing (remaining length 2), read as no properties.
  if (!r.empty()) decode_properties(r, PropertyContext::connack, connack.properties);
  if (r.ok() && has_orphan_auth_data(connack.properties)) r.fail(ReasonCode::protocol_error);
  return finish(r, std::move(connack));
}

template <class Sink>
void write_body(Sink& s, const Connect& p, ProtocolVersion v) {
  const bool v5 = v == ProtocolVersion::v5;
  s.string("MQTT");
  s.u8(static_cast<std::uint8_t>(v));
  std::uint8_t flags = p.clean_start ? flag_clean_start : 0;
  if (p.will) {
    flags |= flag_will;
    flags |= static_cast<std::uint8_t>(static_cast<unsigned>(p.will->qos) << 3);
    if (p.will->retain) flags |= flag_will_retain;
  }
  if (p.password) flags |= flag_password;
  if (p.username) flags |= flag_username;
  s.u8(flags);
  s.u16(p.keep_alive);
  if (v5) write_properties(s, p.properties);
  s.string(p.client_id);
  if (p.will) {
    if (v5) write_properties(s, p.will->properties);
    s.string(p.will->topic);
    s.string(p.will->payload);
  }
  if (p.username) s.string(*p.username);
  if (p.password) s.string(*p.password);
}

template <class Sink>
void write_body(Sink& s, const Connack& p, ProtocolVersion v) {
  s.u8(p.session_present ? 1 : 0);
  if (v == ProtocolVersion::v311) {
    s.u8(to_v311_connack_code(p.reason));
    return;
  }
  s.u8(static_cast<std::uint8_t>(p.reason));
  write_properties(s, p.properties);
}

template void write_body<ByteSink>(ByteSink&, const Connect&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Connect&, ProtocolVersion);
template void write_body<ByteSink>(ByteSink&, const Connack&, ProtocolVersion);
template void write_body<SizeSink>(SizeSink&, const Connack&, ProtocolVersion);

}  // namespace arkmq::protocol
