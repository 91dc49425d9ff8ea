// The stored form of a core::Message (see durable_store_codec.hpp).
// Owned by the durable-store engineer.
#include "broker/app/durable_store_codec.hpp"

#include <cstring>
#include <memory>
#include <utility>

#include "broker/protocol/codec.hpp"
#include "broker/protocol/reason_code.hpp"

namespace arkmq::app {
namespace {

constexpr std::uint8_t kEnvelopeVersion = 1;
constexpr std::uint8_t kHasExpiry = 0x01;

void put_byte(storage::StateBlob& out, std::uint8_t value) {
  out.push_back(static_cast<std::byte>(value));
}

std::uint8_t byte_at(const storage::StateBlob& in, std::size_t at) {
  return static_cast<std::uint8_t>(in[at]);
}

}  // namespace

std::int64_t ClockPair::to_wall_us(std::chrono::steady_clock::time_point at) const {
  const auto wall_at = wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                  at - steady);
  return std::chrono::duration_cast<std::chrono::microseconds>(wall_at.time_since_epoch()).count();
}

std::chrono::steady_clock::time_point ClockPair::to_steady(std::int64_t wall_us) const {
  const auto wall_at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(wall_us)));
  return steady + std::chrono::duration_cast<std::chrono::steady_clock::duration>(wall_at - wall);
}

storage::StateBlob encode_stored_message(const core::Message& message, const ClockPair& clocks) {
  protocol::Publish publish;
  publish.topic = message.topic;
  publish.payload = message.payload;
  publish.qos = message.qos;
  publish.retain = message.retain;
  publish.packet_id = message.qos == protocol::QoS::at_most_once ? 0 : 1;  // the codec needs one
  publish.properties = message.properties;
  // Per-delivery properties are not part of the message; the expiry is kept as wall time.
  publish.properties.message_expiry_interval.reset();
  publish.properties.topic_alias.reset();
  publish.properties.subscription_identifiers.clear();

  storage::StateBlob out;
  put_byte(out, kEnvelopeVersion);
  put_byte(out, message.expires_at ? kHasExpiry : 0);
  if (message.expires_at) {
    const auto wall_us = static_cast<std::uint64_t>(clocks.to_wall_us(*message.expires_at));
    for (int shift = 56; shift >= 0; shift -= 8) {
      put_byte(out, static_cast<std::uint8_t>(wall_us >> shift));
    }
  }
  const std::string& origin = message.origin_client_id;
  const std::size_t origin_size = std::min<std::size_t>(origin.size(), 65535);
  put_byte(out, static_cast<std::uint8_t>(origin_size >> 8));
  put_byte(out, static_cast<std::uint8_t>(origin_size & 0xff));
  for (std::size_t i = 0; i < origin_size; ++i) put_byte(out, static_cast<std::uint8_t>(origin[i]));

  protocol::Bytes frame;
  protocol::encode_packet(protocol::Packet{std::move(publish)}, protocol::ProtocolVersion::v5,
                          frame);
  const std::size_t at = out.size();
  out.resize(at + frame.size());
  std::memcpy(out.data() + at, frame.data(), frame.size());
  return out;
}

tl::expected<core::MessagePtr, std::string> decode_stored_message(const storage::StateBlob& blob,
                                                                  const ClockPair& clocks) {
  std::size_t at = 0;
  auto need = [&](std::size_t n) { return blob.size() - at >= n; };
  if (!need(2)) return tl::unexpected(std::string("stored message too short"));
  if (byte_at(blob, 0) != kEnvelopeVersion) {
    return tl::unexpected("stored message format " + std::to_string(byte_at(blob, 0)) +
                          " is unknown to this build");
  }
  const std::uint8_t flags = byte_at(blob, 1);
  at = 2;
  auto message = std::make_shared<core::Message>();
  if ((flags & kHasExpiry) != 0) {
    if (!need(8)) return tl::unexpected(std::string("stored message truncated (expiry)"));
    std::uint64_t wall_us = 0;
    for (int i = 0; i < 8; ++i) wall_us = (wall_us << 8) | byte_at(blob, at++);
    message->expires_at = clocks.to_steady(static_cast<std::int64_t>(wall_us));
  }
  if (!need(2)) return tl::unexpected(std::string("stored message truncated (origin)"));
  const std::size_t origin_size = (std::size_t{byte_at(blob, at)} << 8) | byte_at(blob, at + 1);
  at += 2;
  if (!need(origin_size)) return tl::unexpected(std::string("stored message truncated (origin)"));
  message->origin_client_id.assign(reinterpret_cast<const char*>(blob.data() + at), origin_size);
  at += origin_size;

  const protocol::ByteView frame(reinterpret_cast<const std::uint8_t*>(blob.data() + at),
                                 blob.size() - at);
  auto packet = protocol::decode_packet(frame, protocol::ProtocolVersion::v5);
  if (!packet) {
    return tl::unexpected("stored PUBLISH does not decode: " +
                          std::string(protocol::to_string(packet.error())));
  }
  auto* publish = std::get_if<protocol::Publish>(&*packet);
  if (publish == nullptr) return tl::unexpected(std::string("stored packet is not a PUBLISH"));
  message->topic = std::move(publish->topic);
  message->payload = std::move(publish->payload);
  message->qos = publish->qos;
  message->retain = publish->retain;
  message->properties = std::move(publish->properties);
  return core::MessagePtr(std::move(message));
}

}  // namespace arkmq::app
