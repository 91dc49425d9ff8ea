// Publisher: batching, the QoS 1 window and pacing.
#include "tools/arkmq-bench/publisher.hpp"

#include <algorithm>
#include <cmath>

#include "tools/arkmq-bench/stamp.hpp"

namespace arkmq::bench {

namespace {
constexpr std::size_t batch_bytes = 64 * 1024;
}

PublishTemplate make_publish_template(const PublishPlan& plan, protocol::ProtocolVersion version) {
  protocol::Publish publish;
  publish.topic = plan.topic;
  publish.payload.assign(plan.size, '\0');
  publish.qos = plan.qos;
  publish.packet_id = plan.qos == protocol::QoS::at_most_once ? 0 : 1;
  PublishTemplate t;
  protocol::encode_packet(publish, version, t.bytes);
  protocol::FrameHeader header;
  protocol::peek_frame(t.bytes, static_cast<std::uint32_t>(t.bytes.size()), header);
  t.payload_offset = t.bytes.size() - plan.size;
  t.packet_id_offset = header.header_size + 2 + plan.topic.size();  // after the topic [MQTT-3.3.2]
  return t;
}

Publisher::Publisher(asio::io_context& io, const LinkSettings& settings, RunState& run,
                     std::string client_id, PublishPlan plan)
    : MqttLink(io, settings, run, std::move(client_id)),
      plan_(std::move(plan)),
      template_(make_publish_template(plan_, settings.version)),
      pace_timer_(io),
      end_timer_(io),
      window_(plan_.window),
      id_in_flight_(plan_.qos == protocol::QoS::at_most_once ? 0 : 65536, 0) {
  if (plan_.rate > 0) {
    // Short periods send several due messages per tick rather than waking per message.
    const double period_ns = std::max(1e9 / plan_.rate, 1e6);
    pace_period_ = std::chrono::nanoseconds(static_cast<std::int64_t>(period_ns));
  }
}

void Publisher::on_connected(const protocol::Connack& connack) {
  // The broker's Receive Maximum bounds our QoS 1 window [MQTT-3.3.4-7].
  if (connack.properties.receive_maximum) {
    window_ = std::min<unsigned>(window_, *connack.properties.receive_maximum);
  }
  run().ready.fetch_add(1, std::memory_order_relaxed);
}

void Publisher::post_publish(std::uint64_t end_ns) {
  asio::post(io(), [this, end_ns] {
    if (closing()) return;
    running_ = true;
    start_ns_ = now_ns();
    end_ns_ = end_ns;
    end_timer_.expires_after(std::chrono::nanoseconds(end_ns > start_ns_ ? end_ns - start_ns_ : 0));
    end_timer_.async_wait([this](std::error_code ec) {
      if (!ec) stop_publishing();
    });
    if (plan_.rate > 0) {
      pace_timer_.expires_after(pace_period_);
      pace();
    }
    pump();
  });
}

void Publisher::pace() {
  pace_timer_.async_wait([this](std::error_code ec) {
    if (ec || !running_) return;
    pump();
    pace_timer_.expires_at(pace_timer_.expiry() + pace_period_);  // no drift
    pace();
  });
}

void Publisher::pump() {
  if (!running_ || closing()) return;
  const std::uint64_t now = now_ns();
  if (now >= end_ns_) return stop_publishing();
  std::uint64_t allowed = ~std::uint64_t{0};
  if (plan_.rate > 0) {
    const double due = std::floor(static_cast<double>(now - start_ns_) * plan_.rate / 1e9) + 1;
    const auto due_count = static_cast<std::uint64_t>(due);
    allowed = due_count > sequence_ ? due_count - sequence_ : 0;
  }
  const bool qos1 = plan_.qos != protocol::QoS::at_most_once;
  while (allowed > 0 && out().size() < batch_bytes && (!qos1 || in_flight_ < window_)) {
    append_one(now);
    --allowed;
  }
  flush();
}

void Publisher::append_one(std::uint64_t now) {
  auto& buffer = out();
  const std::size_t at = buffer.size();
  buffer.insert(buffer.end(), template_.bytes.begin(), template_.bytes.end());
  if (plan_.qos != protocol::QoS::at_most_once) {
    do {
      ++next_id_;
    } while (next_id_ == 0 || id_in_flight_[next_id_] != 0);
    id_in_flight_[next_id_] = 1;
    ++in_flight_;
    buffer[at + template_.packet_id_offset] = static_cast<std::uint8_t>(next_id_ >> 8);
    buffer[at + template_.packet_id_offset + 1] = static_cast<std::uint8_t>(next_id_ & 0xFF);
  }
  write_stamp(buffer.data() + at + template_.payload_offset, Stamp{plan_.index, sequence_, now});
  ++sequence_;
  sent_.store(sequence_, std::memory_order_relaxed);
}

void Publisher::on_frame(std::span<const std::uint8_t> frame, std::size_t header_size) {
  const auto type = static_cast<protocol::PacketType>(frame[0] >> 4);
  if (type != protocol::PacketType::puback) return;  // nothing else is addressed to a publisher
  if (frame.size() < header_size + 2) return fail("short PUBACK");
  const auto id = static_cast<std::uint16_t>((frame[header_size] << 8) | frame[header_size + 1]);
  if (id_in_flight_.empty() || id_in_flight_[id] == 0) return fail("PUBACK for an unknown packet id");
  // v5 PUBACK may carry a reason code; 0x80 and above is a refusal [MQTT-3.4.2-1].
  if (frame.size() > header_size + 2 && frame[header_size + 2] >= 0x80) {
    run().report_error(client_id() + ": PUBACK reason 0x" + std::to_string(frame[header_size + 2]));
  }
  id_in_flight_[id] = 0;
  --in_flight_;
  acked_.fetch_add(1, std::memory_order_relaxed);
  if (!running_ && in_flight_ == 0) done_.store(true, std::memory_order_release);
}

void Publisher::stop_publishing() {
  if (!running_) return;
  running_ = false;
  pace_timer_.cancel();
  end_timer_.cancel();
  if (in_flight_ == 0) done_.store(true, std::memory_order_release);
}

void Publisher::on_closing() {
  running_ = false;
  pace_timer_.cancel();
  end_timer_.cancel();
}

}  // namespace arkmq::bench
