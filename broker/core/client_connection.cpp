// ClientConnection: framing, the one dispatch point per packet type, timers.
// Rules: the first packet must be CONNECT [MQTT-3.1.0-1]; a second CONNECT is a protocol
// error [MQTT-3.1.0-2]; packets only a server sends are protocol errors; keep alive 1.5 x.
#include "broker/core/client_connection.hpp"

#include <spdlog/spdlog.h>

#include "broker/core/ack_handler.hpp"
#include "broker/core/connect_handler.hpp"
#include "broker/core/connection_state.hpp"
#include "broker/core/disconnect_handler.hpp"
#include "broker/core/publish_handler.hpp"
#include "broker/core/quota_enforcement.hpp"
#include "broker/core/subscribe_handler.hpp"
#include "broker/protocol/codec.hpp"

namespace arkmq::core {
namespace {

using protocol::ReasonCode;

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// The protocol level byte of a CONNECT frame whose decoding failed, when it is readable.
std::optional<std::uint8_t> connect_level(protocol::ByteView frame, std::size_t header_size) {
  // Variable header: protocol name (2-byte length + "MQTT"), then the level byte.
  const std::size_t level_at = header_size + 6;
  if (frame.size() <= level_at || (frame[0] >> 4U) != 1) return std::nullopt;
  return frame[level_at];
}

// A CONNECT that did not decode: answered when the client can understand the answer.
void refuse_bad_connect(ConnectionState& c, ReasonCode code, protocol::ByteView frame,
                        std::size_t header_size) {
  if (code == ReasonCode::unsupported_protocol_version) {
    // Unknown level: a v3.1.1 CONNACK (return code 1) is readable by every client [MQTT-3.1.2-2].
    c.version = protocol::ProtocolVersion::v311;
    c.send(protocol::Connack{false, code, {}});
  } else if (connect_level(frame, header_size) == 5) {
    c.version = protocol::ProtocolVersion::v5;
    c.send(protocol::Connack{false, code, {}});
  }
  spdlog::warn("bad CONNECT from {}: {}", c.info.peer, protocol::to_string(code));
  c.events().login(c.identity(), std::nullopt, code, "CONNECT did not decode");
  c.close();
}

void dispatch(ConnectionState& c, protocol::Packet&& packet) {
  if (c.phase == Phase::awaiting_connect) {
    if (auto* connect = std::get_if<protocol::Connect>(&packet)) {
      return handle_connect(c, std::move(*connect));
    }
    spdlog::warn("first packet from {} is not CONNECT; closing", c.info.peer);
    return c.close();  // [MQTT-3.1.0-1]
  }
  std::visit(
      Overloaded{
          [&](protocol::Publish& p) { handle_publish(c, std::move(p)); },
          [&](protocol::Puback& p) { handle_puback(c, p); },
          [&](protocol::Pubrec& p) { handle_pubrec(c, p); },
          [&](protocol::Pubrel& p) { handle_pubrel(c, p); },
          [&](protocol::Pubcomp& p) { handle_pubcomp(c, p); },
          [&](protocol::Subscribe& p) { handle_subscribe(c, std::move(p)); },
          [&](protocol::Unsubscribe& p) { handle_unsubscribe(c, p); },
          [&](protocol::Pingreq&) { c.send(protocol::Pingresp{}); },
          [&](protocol::Disconnect& p) { handle_disconnect(c, p); },
          [&](protocol::Connect&) { c.fail(ReasonCode::protocol_error, "second CONNECT"); },
          [&](protocol::Auth&) {
            // No authentication method was accepted, so AUTH is a protocol error [MQTT-4.12.0-1].
            c.fail(ReasonCode::protocol_error, "AUTH without authentication method");
          },
          [&](protocol::Connack&) { c.fail(ReasonCode::protocol_error, "CONNACK from a client"); },
          [&](protocol::Suback&) { c.fail(ReasonCode::protocol_error, "SUBACK from a client"); },
          [&](protocol::Unsuback&) { c.fail(ReasonCode::protocol_error, "UNSUBACK from a client"); },
          [&](protocol::Pingresp&) { c.fail(ReasonCode::protocol_error, "PINGRESP from a client"); },
      },
      packet);
}

// Handles the whole frames at the start of `bytes` (until a partial frame, a read pause or the
// end of the connection); returns how many bytes they took.
std::size_t handle_frames(ConnectionState& c, protocol::ByteView bytes, Clock::time_point now) {
  std::size_t consumed = 0;
  while (c.phase != Phase::closing) {
    // Paused (a v3.1.1 client over its publish rate): the frames after the one that paused it
    // stay unread until the net layer calls again once the pause is over.
    if (c.read_paused_until && now < *c.read_paused_until) break;
    const protocol::ByteView unread = bytes.subspan(consumed);
    if (c.phase == Phase::awaiting_connect && !unread.empty() && (unread[0] >> 4U) != 1) {
      // [MQTT-3.1.0-1]: refused on its first byte, so an unauthenticated peer cannot make us
      // buffer a maximum-size packet of another type until the connect deadline.
      spdlog::warn("first packet from {} is not CONNECT; closing", c.info.peer);
      c.close();
      break;
    }
    protocol::FrameHeader header;
    // The Maximum Packet Size announced in CONNACK (the principal's may be lower) once connected.
    const auto status = protocol::peek_frame(unread, inbound_packet_limit(c), header);
    if (status == protocol::FrameStatus::need_more) break;
    if (status == protocol::FrameStatus::malformed) {
      c.fail(ReasonCode::malformed_packet, "malformed fixed header");
      break;
    }
    if (status == protocol::FrameStatus::too_large) {  // refused before it is buffered
      note_packet_too_large(c);
      c.fail(ReasonCode::packet_too_large, "packet exceeds maximum packet size");
      break;
    }
    const protocol::ByteView frame = unread.first(header.total_size());
    auto packet = protocol::decode_packet(frame, c.version);
    consumed += header.total_size();
    // A PUBLISH's cost in byte tokens; fits: peek_frame refused anything over a uint32 limit.
    c.quota.packet_size = static_cast<std::uint32_t>(header.total_size());
    c.last_packet_at = now;
    if (!packet) {
      if (c.phase == Phase::awaiting_connect) {
        refuse_bad_connect(c, packet.error(), frame, header.header_size);
      } else {
        c.fail(packet.error(), "packet did not decode");
      }
      break;
    }
    dispatch(c, std::move(*packet));
  }
  return consumed;
}

}  // namespace

ClientConnection::ClientConnection(Broker& broker, ConnectionInfo info,
                                   std::shared_ptr<ClientLink> link, Clock::time_point now)
    : state_(broker.state(), std::move(info), std::move(link), now) {
  state_.events().connection_accepted(state_.info);
}

ClientConnection::~ClientConnection() { on_transport_closed(); }

void ClientConnection::on_bytes(std::span<const std::uint8_t> data, Clock::time_point now) {
  ConnectionState& c = state_;
  if (c.phase == Phase::closing) return;
  c.now = now;
  StatCounters::add(c.state.counters().bytes_received, data.size());
  if (c.buffer.empty()) {
    // The common case: whole packets straight from the bytes read; only a tail is kept.
    const std::size_t consumed = handle_frames(c, data, now);
    if (consumed != data.size()) {
      c.buffer.assign(data.begin() + static_cast<std::ptrdiff_t>(consumed), data.end());
    }
    return;
  }
  c.buffer.insert(c.buffer.end(), data.begin(), data.end());
  const std::size_t consumed = handle_frames(c, c.buffer, now);
  if (consumed == c.buffer.size()) {
    std::vector<std::uint8_t>().swap(c.buffer);  // an idle connection keeps no buffer
  } else {
    // What is left is at most one partial packet (or what a read pause left unread).
    c.buffer.erase(c.buffer.begin(), c.buffer.begin() + static_cast<std::ptrdiff_t>(consumed));
  }
}

void ClientConnection::on_tick(Clock::time_point now) {
  ConnectionState& c = state_;
  if (c.phase == Phase::closing) return;
  c.now = now;
  if (c.phase == Phase::awaiting_connect) {
    if (now - c.created_at >= c.config.connect_timeout) {
      spdlog::warn("no CONNECT from {} within {}s; closing", c.info.peer,
                   c.config.connect_timeout.count());
      c.close();
    }
    return;
  }
  // A client we stopped reading from (read_paused_until) could not be heard: its keep alive
  // counts from the end of the pause.
  const TimePoint heard = std::max(c.last_packet_at, c.read_paused_until.value_or(c.last_packet_at));
  if (c.keep_alive_limit.count() != 0 && now - heard >= c.keep_alive_limit) {
    c.fail(ReasonCode::keep_alive_timeout, "keep alive timeout");  // [MQTT-3.1.2-24]
  }
}

void ClientConnection::on_transport_closed() {
  ConnectionState& c = state_;
  if (c.phase != Phase::closing) c.phase = Phase::closing;
  // Lost without a DISCONNECT (or after one, when this is a no-op): the will goes out.
  c.release_session(true, ReasonCode::unspecified_error, DisconnectInitiator::transport,
                    "connection closed");
}

bool ClientConnection::is_closing() const { return state_.phase == Phase::closing; }

std::optional<Clock::time_point> ClientConnection::read_paused_until() const {
  return state_.read_paused_until;
}

}  // namespace arkmq::core
