// MqttLink: connection setup, framing, keep-alive and batched writes.
#include "tools/arkmq-bench/mqtt_link.hpp"

#include <cstring>
#include <variant>

#include "broker/protocol/wire.hpp"
#include "tools/arkmq-bench/socket_budget.hpp"

namespace arkmq::bench {

namespace {
constexpr std::uint32_t max_frame = protocol::max_variable_byte_integer + 5;
constexpr std::uint8_t pingreq[] = {0xC0, 0x00};
}  // namespace

protocol::Connect make_connect(const LinkSettings& settings, const std::string& client_id) {
  protocol::Connect connect;
  connect.version = settings.version;
  connect.clean_start = true;
  connect.keep_alive = settings.keep_alive_s;
  connect.client_id = client_id;
  connect.username = settings.username;
  connect.password = settings.password;
  if (settings.request_response_information && settings.version == protocol::ProtocolVersion::v5) {
    connect.properties.request_response_information = 1;  // [MQTT-3.1.2.11.7]
  }
  return connect;
}

MqttLink::MqttLink(asio::io_context& io, const LinkSettings& settings, RunState& run,
                   std::string client_id, std::size_t read_chunk)
    : io_(io),
      settings_(settings),
      run_(run),
      client_id_(std::move(client_id)),
      transport_(io, *settings.tls_context, settings.tls, settings.verify_host),
      ping_timer_(io),
      keep_alive_s_(settings.keep_alive_s),
      read_chunk_(read_chunk),
      in_(read_chunk) {}

void MqttLink::post_start() {
  asio::post(io_, [this] {
    transport_.async_open(
        settings_.endpoint, settings_.host,
        [this](std::error_code ec) {
          if (closing_) return finish();
          if (ec) return fail("connect to the broker: " + describe_open_error(ec, file_limit()));
          send_connect();
          read_more();
        },
        source_);
  });
}

void MqttLink::post_close() {
  asio::post(io_, [this] { start_close(); });
}

void MqttLink::send_connect() {
  protocol::encode_packet(make_connect(settings_, client_id_), settings_.version, pending_);
  flush();
}

void MqttLink::flush() {
  if (write_busy_ || pending_.empty() || finished_) return;
  std::swap(pending_, writing_);
  pending_.clear();
  write_busy_ = true;
  transport_.async_write(asio::buffer(writing_),
                         [this](std::error_code ec, std::size_t) { on_write_done(ec); });
}

void MqttLink::on_write_done(std::error_code ec) {
  write_busy_ = false;
  writing_.clear();
  if (finished_) return;
  if (ec) return fail("write: " + ec.message());
  if (closing_) {
    if (pending_.empty()) return finish();  // our DISCONNECT is out
    return flush();
  }
  on_written();
  flush();
}

void MqttLink::read_more() {
  if (in_.size() - in_used_ < read_chunk_ / 4) in_.resize(in_used_ + read_chunk_);
  transport_.async_read_some(
      asio::buffer(in_.data() + in_used_, in_.size() - in_used_),
      [this](std::error_code ec, std::size_t n) {
        if (finished_ || closing_) return;
        if (ec == asio::error::eof) return fail("the broker closed the connection");
        if (ec) return fail("read: " + ec.message());
        in_used_ += n;
        handle_input();
        if (!finished_ && !closing_) read_more();
      });
}

void MqttLink::handle_input() {
  std::size_t at = 0;
  while (!finished_ && !closing_) {
    protocol::FrameHeader header;
    const auto view = std::span<const std::uint8_t>(in_.data() + at, in_used_ - at);
    const auto status = protocol::peek_frame(view, max_frame, header);
    if (status == protocol::FrameStatus::need_more) {
      if (header.header_size != 0 && header.total_size() > in_.size() - at) {
        in_.resize(at + header.total_size() + read_chunk_);  // a frame bigger than the buffer
      }
      break;
    }
    if (status != protocol::FrameStatus::complete) return fail("malformed frame from the broker");
    const auto frame = view.first(header.total_size());
    at += header.total_size();
    const auto type = static_cast<protocol::PacketType>(frame[0] >> 4);
    if (!connected_) {
      if (type != protocol::PacketType::connack) return fail("expected CONNACK");
      if (!handle_connack(frame)) return;
      continue;
    }
    if (type == protocol::PacketType::pingresp) continue;
    if (type == protocol::PacketType::disconnect) return fail("the broker sent DISCONNECT");
    on_frame(frame, header.header_size);
  }
  if (finished_ || closing_) return;
  if (at > 0) {
    std::memmove(in_.data(), in_.data() + at, in_used_ - at);
    in_used_ -= at;
  }
  on_read_batch_end();
}

bool MqttLink::handle_connack(std::span<const std::uint8_t> frame) {
  auto packet = protocol::decode_packet(frame, settings_.version);
  if (!packet || !std::holds_alternative<protocol::Connack>(*packet)) {
    fail("undecodable CONNACK");
    return false;
  }
  const auto& connack = std::get<protocol::Connack>(*packet);
  if (connack.reason != protocol::ReasonCode::success) {
    fail("CONNACK refused: reason 0x" +
         std::to_string(static_cast<unsigned>(connack.reason)));
    return false;
  }
  if (connack.properties.server_keep_alive) keep_alive_s_ = *connack.properties.server_keep_alive;
  connected_ = true;
  schedule_ping();
  on_connected(connack);
  return !finished_;
}

void MqttLink::schedule_ping() {
  if (keep_alive_s_ == 0) return;
  ping_timer_.expires_after(std::chrono::milliseconds(keep_alive_s_ * 500));
  ping_timer_.async_wait([this](std::error_code ec) {
    if (ec || closing_ || finished_) return;
    pending_.insert(pending_.end(), std::begin(pingreq), std::end(pingreq));
    flush();
    schedule_ping();
  });
}

void MqttLink::start_close() {
  if (closing_ || finished_) return;
  closing_ = true;
  ping_timer_.cancel();
  on_closing();
  if (!connected_) {
    // Still connecting: the open handler finishes; or nothing is in flight at all.
    transport_.close();
    return finish();
  }
  // What is queued still goes out (it counts as sent), the DISCONNECT after it.
  protocol::encode_packet(protocol::Disconnect{}, settings_.version, pending_);
  flush();
}

void MqttLink::fail(const std::string& what) {
  if (finished_) return;
  run_.report_error(client_id_ + ": " + what);
  run_.failed.fetch_add(1, std::memory_order_relaxed);
  closing_ = true;
  ping_timer_.cancel();
  on_closing();
  finish();
}

void MqttLink::finish() {
  if (finished_) return;
  finished_ = true;
  transport_.close();
  run_.closed.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace arkmq::bench
