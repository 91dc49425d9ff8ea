// Fixed header framing (spec 2.1) and the one dispatch point from packet type to decoder/encoder.
// Pure functions; any thread.
#include "broker/protocol/codec.hpp"

#include <limits>

#include "broker/protocol/codec_detail.hpp"

namespace arkmq::protocol {

FrameStatus peek_frame(ByteView buffer, std::uint32_t max_packet_size, FrameHeader& header) {
  if (buffer.empty()) return FrameStatus::need_more;
  const std::uint8_t first = buffer[0];
  if ((first >> 4) == 0) return FrameStatus::malformed;  // packet type 0 is reserved
  std::uint32_t remaining = 0;
  std::size_t index = 1;
  for (int shift = 0;; shift += 7) {
    if (shift == 28) return FrameStatus::malformed;  // more than 4 length bytes (1.5.5)
    if (index >= buffer.size()) return FrameStatus::need_more;
    const std::uint8_t byte = buffer[index++];
    remaining |= std::uint32_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) break;
  }
  header.first_byte = first;
  header.remaining_length = remaining;
  header.header_size = index;
  if (header.total_size() > max_packet_size) return FrameStatus::too_large;
  return buffer.size() >= header.total_size() ? FrameStatus::complete : FrameStatus::need_more;
}

namespace {

// The flags of every packet type but PUBLISH are fixed [MQTT-2.1.3-1]; others are malformed.
constexpr std::uint8_t required_flags(PacketType type) {
  switch (type) {
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe: return 0b0010;
    case PacketType::connect:
    case PacketType::connack:
    case PacketType::publish:
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubcomp:
    case PacketType::suback:
    case PacketType::unsuback:
    case PacketType::pingreq:
    case PacketType::pingresp:
    case PacketType::disconnect:
    case PacketType::auth: return 0;
  }
  return 0;
}

DecodeResult decode_empty(WireReader& body, Packet packet) {
  if (!body.empty()) return tl::unexpected(ReasonCode::malformed_packet);
  return packet;
}

constexpr PacketType type_of(const Packet& packet) {
  return static_cast<PacketType>(packet.index() + 1);  // variant order follows the type values
}

template <class P>
std::size_t body_size(const P& packet, ProtocolVersion version) {
  SizeSink sizer;
  write_body(sizer, packet, version);
  return sizer.size();
}

// CONNECT carries its own protocol version; every other packet uses the connection's.
ProtocolVersion effective_version(const Packet& packet, ProtocolVersion version) {
  if (const auto* connect = std::get_if<Connect>(&packet)) return connect->version;
  return version;
}

std::uint8_t first_byte(const Packet& packet) {
  const auto type = type_of(packet);
  auto flags = required_flags(type);
  if (const auto* publish = std::get_if<Publish>(&packet)) {
    flags = static_cast<std::uint8_t>((publish->dup ? 0x08 : 0) |
                                      (static_cast<unsigned>(publish->qos) << 1) |
                                      (publish->retain ? 0x01 : 0));
  }
  return static_cast<std::uint8_t>((static_cast<unsigned>(type) << 4) | flags);
}

}  // namespace

tl::expected<Packet, ReasonCode> decode_packet(ByteView frame, ProtocolVersion version) {
  FrameHeader header;
  const auto status = peek_frame(frame, std::numeric_limits<std::uint32_t>::max(), header);
  if (status != FrameStatus::complete || frame.size() != header.total_size()) {
    return tl::unexpected(ReasonCode::malformed_packet);
  }
  WireReader body{frame.subspan(header.header_size)};
  const auto type = static_cast<PacketType>(header.first_byte >> 4);
  const std::uint8_t flags = header.first_byte & 0x0F;
  if (type != PacketType::publish && flags != required_flags(type)) {
    return tl::unexpected(ReasonCode::malformed_packet);
  }
  switch (type) {
    case PacketType::connect: return decode_connect(body);
    case PacketType::connack: return decode_connack(body, version);
    case PacketType::publish: return decode_publish(flags, body, version);
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp: return decode_ack(type, body, version);
    case PacketType::subscribe: return decode_subscribe(body, version);
    case PacketType::suback: return decode_suback(body, version);
    case PacketType::unsubscribe: return decode_unsubscribe(body, version);
    case PacketType::unsuback: return decode_unsuback(body, version);
    case PacketType::pingreq: return decode_empty(body, Pingreq{});
    case PacketType::pingresp: return decode_empty(body, Pingresp{});
    case PacketType::disconnect: return decode_disconnect(body, version);
    case PacketType::auth:
      // Type 15 is reserved in 3.1.1 (2.2.1 of that spec).
      if (version == ProtocolVersion::v311) return tl::unexpected(ReasonCode::malformed_packet);
      return decode_auth(body);
  }
  return tl::unexpected(ReasonCode::malformed_packet);  // type 0, rejected by peek_frame
}

void encode_packet(const Packet& packet, ProtocolVersion version, Bytes& out) {
  const auto wire_version = effective_version(packet, version);
  std::visit(
      [&](const auto& p) {
        const auto body = static_cast<std::uint32_t>(body_size(p, wire_version));
        out.reserve(out.size() + 1 + variable_byte_integer_size(body) + body);
        ByteSink sink{out};
        sink.u8(first_byte(packet));
        sink.varint(body);
        write_body(sink, p, wire_version);
      },
      packet);
}

std::size_t encoded_size(const Packet& packet, ProtocolVersion version) {
  const auto wire_version = effective_version(packet, version);
  const auto body = std::visit([&](const auto& p) { return body_size(p, wire_version); }, packet);
  return 1 + variable_byte_integer_size(static_cast<std::uint32_t>(body)) + body;
}

}  // namespace arkmq::protocol
