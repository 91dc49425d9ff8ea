// Subscriber: SUBSCRIBE/SUBACK, then in-place PUBLISH parsing and accounting.
#include "tools/arkmq-bench/subscriber.hpp"

#include <variant>

#include "tools/arkmq-bench/stamp.hpp"

namespace arkmq::bench {

std::optional<PublishView> parse_publish(std::span<const std::uint8_t> frame,
                                         std::size_t header_size,
                                         protocol::ProtocolVersion version) {
  PublishView view;
  view.qos = static_cast<std::uint8_t>((frame[0] >> 1) & 0x03);
  std::size_t at = header_size;
  if (frame.size() < at + 2) return std::nullopt;
  at += 2 + ((std::size_t{frame[at]} << 8) | frame[at + 1]);  // topic name
  if (view.qos > 0) {
    if (frame.size() < at + 2) return std::nullopt;
    view.packet_id = static_cast<std::uint16_t>((frame[at] << 8) | frame[at + 1]);
    at += 2;
  }
  if (version == protocol::ProtocolVersion::v5) {  // skip the properties [MQTT-3.3.2.3]
    std::uint32_t length = 0;
    unsigned shift = 0;
    for (int i = 0;; ++i) {
      if (i == 4 || frame.size() <= at) return std::nullopt;
      const std::uint8_t byte = frame[at++];
      length |= static_cast<std::uint32_t>(byte & 0x7F) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) break;
    }
    at += length;
  }
  if (at > frame.size()) return std::nullopt;
  view.payload = frame.subspan(at);
  return view;
}

Subscriber::Subscriber(asio::io_context& io, const LinkSettings& settings, RunState& run,
                       std::string client_id, SubscribePlan plan)
    : MqttLink(io, settings, run, std::move(client_id)),
      plan_(std::move(plan)),
      tracker_(plan_.publishers),
      histogram_(std::make_unique<LatencyHistogram>()) {}

void Subscriber::on_connected(const protocol::Connack&) {
  protocol::Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions.push_back({plan_.filter, {plan_.qos, false, false, 0}});
  protocol::encode_packet(subscribe, version(), out());
  flush();
}

void Subscriber::on_frame(std::span<const std::uint8_t> frame, std::size_t header_size) {
  const auto type = static_cast<protocol::PacketType>(frame[0] >> 4);
  if (type == protocol::PacketType::suback && !subscribed_) {
    auto packet = protocol::decode_packet(frame, version());
    if (!packet || !std::holds_alternative<protocol::Suback>(*packet)) return fail("undecodable SUBACK");
    const auto& suback = std::get<protocol::Suback>(*packet);
    if (suback.reasons.empty() || static_cast<unsigned>(suback.reasons.front()) >= 0x80) {
      return fail("SUBSCRIBE " + plan_.filter + " refused");
    }
    subscribed_ = true;
    run().ready.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (type != protocol::PacketType::publish) return;
  const auto view = parse_publish(frame, header_size, version());
  if (!view) return fail("malformed PUBLISH");
  if (view->qos == 1) {
    const std::uint8_t ack[] = {0x40, 0x02, static_cast<std::uint8_t>(view->packet_id >> 8),
                                static_cast<std::uint8_t>(view->packet_id & 0xFF)};
    out().insert(out().end(), std::begin(ack), std::end(ack));
  } else if (view->qos == 2) {
    return fail("unexpected QoS 2 PUBLISH");
  }
  const auto stamp = read_stamp(view->payload);
  if (!stamp) return;  // not a benchmark message (someone else on our topic)
  const std::uint64_t now = now_ns();
  const std::uint64_t before = tracker_.counts().distinct;
  tracker_.record(stamp->publisher, stamp->sequence);
  received_.store(tracker_.counts().received, std::memory_order_relaxed);
  if (tracker_.counts().distinct != before) {
    distinct_.store(tracker_.counts().distinct, std::memory_order_relaxed);
  }
  if (now >= window_start_ns_ && now < window_end_ns_) {
    ++in_window_;
    histogram_->record(now > stamp->sent_ns ? now - stamp->sent_ns : 0);
  }
}

}  // namespace arkmq::bench
