// ServiceNode: subscribe, announce (and re-announce), answer requests within the send quota.
#include "tools/arkmq-bench/service_node.hpp"

#include <variant>

#include "tools/arkmq-bench/publish_scan.hpp"

namespace arkmq::bench {

namespace {

void put_u16(std::vector<std::uint8_t>& out, std::size_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

void put_varint(std::vector<std::uint8_t>& out, std::size_t value) {  // [MQTT-1.5.5]
  do {
    auto byte = static_cast<std::uint8_t>(value % 128);
    value /= 128;
    if (value > 0) byte |= 0x80;
    out.push_back(byte);
  } while (value > 0);
}

void put_string(std::vector<std::uint8_t>& out, std::string_view text) {
  put_u16(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

constexpr std::string_view status_name = "svc-status";
constexpr std::string_view status_ok = "ok";

}  // namespace

std::string bench_announcement(std::uint16_t heartbeat_s) {
  return R"({"service": "bench", "version": "1.0.0", "description": "arkmq-bench echo node", )"
         R"("methods": ["echo"], "available": true, "heartbeat_s": )" +
         std::to_string(heartbeat_s) + "}";
}

std::size_t append_reply(std::vector<std::uint8_t>& out, std::string_view topic,
                         std::uint16_t packet_id, std::string_view correlation,
                         std::span<const std::uint8_t> payload) {
  const std::size_t properties = (1 + 2 + correlation.size()) +
                                 (1 + 2 + status_name.size() + 2 + status_ok.size());
  std::vector<std::uint8_t> length_bytes;
  put_varint(length_bytes, properties);
  const std::size_t remaining =
      2 + topic.size() + 2 + length_bytes.size() + properties + payload.size();
  out.push_back(0x32);  // PUBLISH, QoS 1, no DUP, no RETAIN
  put_varint(out, remaining);
  put_string(out, topic);
  const std::size_t id_offset = out.size();
  put_u16(out, packet_id);
  out.insert(out.end(), length_bytes.begin(), length_bytes.end());
  out.push_back(0x09);  // Correlation Data [MQTT-3.3.2.3.6]
  put_string(out, correlation);
  out.push_back(0x26);  // User Property
  put_string(out, status_name);
  put_string(out, status_ok);
  out.insert(out.end(), payload.begin(), payload.end());
  return id_offset;
}

ServiceNode::ServiceNode(asio::io_context& io, const LinkSettings& settings, RunState& run,
                         std::string client_id, NodePlan plan)
    : MqttLink(io, settings, run, std::move(client_id)),
      plan_(std::move(plan)),
      announce_timer_(io),
      id_state_(65536, 0) {}

void ServiceNode::on_connected(const protocol::Connack& connack) {
  if (connack.properties.receive_maximum) send_quota_ = *connack.properties.receive_maximum;
  protocol::Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions.push_back({plan_.call_filter, {protocol::QoS::at_least_once, false, false, 0}});
  protocol::encode_packet(subscribe, version(), out());
  flush();
}

void ServiceNode::on_frame(std::span<const std::uint8_t> frame, std::size_t header_size) {
  const auto type = static_cast<protocol::PacketType>(frame[0] >> 4);
  if (type == protocol::PacketType::publish) return handle_request(frame, header_size);
  if (type == protocol::PacketType::puback) return handle_puback(frame, header_size);
  if (type == protocol::PacketType::suback) return handle_suback(frame);
}

void ServiceNode::handle_suback(std::span<const std::uint8_t> frame) {
  if (subscribed_) return;
  auto packet = protocol::decode_packet(frame, version());
  if (!packet || !std::holds_alternative<protocol::Suback>(*packet)) return fail("undecodable SUBACK");
  const auto& suback = std::get<protocol::Suback>(*packet);
  if (suback.reasons.empty() || static_cast<unsigned>(suback.reasons.front()) >= 0x80) {
    return fail("node: SUBSCRIBE " + plan_.call_filter + " refused (a serve grant for the node?)");
  }
  subscribed_ = true;
  if (plan_.announce_topic.empty()) {  // plain mode: serving as soon as subscribed
    run().ready.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  announce();
}

void ServiceNode::announce() {
  if (closing()) return;
  if (in_flight_ >= 65535) return schedule_announce();  // every packet id taken: next time
  // Announcements are few: they take a packet id even past the quota rather than wait.
  protocol::Publish publish;
  publish.topic = plan_.announce_topic;
  publish.payload = plan_.announce_body;
  publish.qos = protocol::QoS::at_least_once;
  publish.packet_id = take_id();
  id_state_[publish.packet_id] = 2;
  protocol::encode_packet(publish, version(), out());
  flush();
}

void ServiceNode::schedule_announce() {
  // Re-announced at half the heartbeat: the broker withdraws a node after 3 silent heartbeats.
  announce_timer_.expires_after(std::chrono::milliseconds(plan_.heartbeat_s * 500));
  announce_timer_.async_wait([this](std::error_code ec) {
    if (ec || closing()) return;
    announce();
  });
}

void ServiceNode::handle_puback(std::span<const std::uint8_t> frame, std::size_t header_size) {
  if (frame.size() < header_size + 2) return fail("short PUBACK");
  const auto id = static_cast<std::uint16_t>((frame[header_size] << 8) | frame[header_size + 1]);
  const std::uint8_t reason = frame.size() > header_size + 2 ? frame[header_size + 2] : 0;
  const std::uint8_t state = id_state_[id];
  if (state == 0) return fail("PUBACK for an unknown packet id");
  release_id(id);
  if (state == 2) {  // the announcement
    if (reason >= 0x80) {
      return fail("announcement on " + plan_.announce_topic + " refused: reason " +
                  std::to_string(reason) + " (does the node have a serve grant for bench?)");
    }
    if (!announced_) {
      announced_ = true;
      run().ready.fetch_add(1, std::memory_order_relaxed);
    }
    schedule_announce();
  } else if (reason >= 0x80) {
    run().report_error(client_id() + ": reply PUBACK reason " + std::to_string(reason));
  } else if (reason == 0x10) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  send_held();
}

void ServiceNode::handle_request(std::span<const std::uint8_t> frame, std::size_t header_size) {
  const auto request = scan_publish_v5(frame, header_size);
  if (!request) return fail("malformed PUBLISH");
  if (request->qos == 1) {
    const std::uint8_t ack[] = {0x40, 0x02, static_cast<std::uint8_t>(request->packet_id >> 8),
                                static_cast<std::uint8_t>(request->packet_id & 0xFF)};
    out().insert(out().end(), std::begin(ack), std::end(ack));
  }
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (!request->response_topic || !request->correlation) {
    run().report_error(client_id() + ": a request without Response Topic or Correlation Data");
    return;
  }
  if (in_flight_ < send_quota_ && held_.empty()) {
    append_reply(out(), *request->response_topic, take_id(), *request->correlation,
                 request->payload);
    return;
  }
  Held held;
  held.id_offset = append_reply(held.bytes, *request->response_topic, 0, *request->correlation,
                                request->payload);
  held_.push_back(std::move(held));
}

void ServiceNode::send_held() {
  while (!held_.empty() && in_flight_ < send_quota_) {
    Held& held = held_.front();
    const std::uint16_t id = take_id();
    held.bytes[held.id_offset] = static_cast<std::uint8_t>(id >> 8);
    held.bytes[held.id_offset + 1] = static_cast<std::uint8_t>(id & 0xFF);
    out().insert(out().end(), held.bytes.begin(), held.bytes.end());
    held_.pop_front();
  }
}

std::uint16_t ServiceNode::take_id() {
  do {
    ++next_id_;
  } while (next_id_ == 0 || id_state_[next_id_] != 0);
  id_state_[next_id_] = 1;
  ++in_flight_;
  return next_id_;
}

void ServiceNode::release_id(std::uint16_t id) {
  id_state_[id] = 0;
  --in_flight_;
}

}  // namespace arkmq::bench
