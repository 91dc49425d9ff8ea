// ServiceCaller: inbox, the call template, the outstanding-call window, pacing and deadlines.
#include "tools/arkmq-bench/service_caller.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <variant>

#include "tools/arkmq-bench/publish_scan.hpp"
#include "tools/arkmq-bench/stamp.hpp"

namespace arkmq::bench {

namespace {

constexpr std::size_t batch_bytes = 64 * 1024;
// The bench's own deadline comes this long after the broker's (svc-timeout-ms), so that the
// broker's `timeout` reply, when it sends one, is what ends the call.
constexpr std::uint64_t deadline_grace_ns = 1'000'000'000;
constexpr char marker[stamp_size + 1] = "\xA5" "arkmq-bench-cd\x5A";

}  // namespace

CallTemplate make_call_template(const CallPlan& plan, const std::string& response_topic) {
  protocol::Publish publish;
  publish.topic = plan.call_topic;
  publish.payload.assign(plan.size, '\0');
  publish.qos = protocol::QoS::at_least_once;
  publish.packet_id = 1;
  publish.properties.response_topic = response_topic;
  publish.properties.correlation_data = std::string(marker, stamp_size);
  if (plan.plain_inbox.empty()) {  // services: the broker's deadline for the call
    publish.properties.user_properties.push_back({"svc-timeout-ms", std::to_string(plan.timeout_ms)});
  }
  CallTemplate t;
  protocol::encode_packet(publish, protocol::ProtocolVersion::v5, t.bytes);
  protocol::FrameHeader header;
  protocol::peek_frame(t.bytes, static_cast<std::uint32_t>(t.bytes.size()), header);
  t.packet_id_offset = header.header_size + 2 + plan.call_topic.size();  // after the topic
  // The marker is searched after the topic and packet id: in the property block.
  const auto properties = t.bytes.begin() + static_cast<std::ptrdiff_t>(t.packet_id_offset + 2);
  const auto found = std::search(properties, t.bytes.end(), marker, marker + stamp_size,
                                 [](std::uint8_t byte, char c) { return byte == static_cast<std::uint8_t>(c); });
  if (found == t.bytes.end()) throw std::logic_error("call template: correlation data not found");
  t.correlation_offset = static_cast<std::size_t>(found - t.bytes.begin());
  return t;
}

ServiceCaller::ServiceCaller(asio::io_context& io, const LinkSettings& settings, RunState& run,
                             std::string client_id, CallPlan plan)
    : MqttLink(io, settings, run, std::move(client_id)),
      plan_(std::move(plan)),
      pace_timer_(io),
      end_timer_(io),
      deadline_timer_(io),
      slots_(plan_.inflight),
      slot_of_id_(65536, 0),
      sequence_of_id_(65536, 0),
      histogram_(std::make_unique<LatencyHistogram>()) {
  free_slots_.reserve(plan_.inflight);
  for (std::uint32_t i = plan_.inflight; i > 0; --i) free_slots_.push_back(i - 1);
  if (plan_.rate > 0) {
    const double period_ns = std::max(1e9 / plan_.rate, 1e6);
    pace_period_ = std::chrono::nanoseconds(static_cast<std::int64_t>(period_ns));
  }
}

void ServiceCaller::on_connected(const protocol::Connack& connack) {
  if (connack.properties.receive_maximum) send_quota_ = *connack.properties.receive_maximum;
  if (plan_.plain_inbox.empty()) {
    // [MQTT-3.2.2.3.15]: the broker's Response Information is the caller's inbox prefix.
    if (!connack.properties.response_information || connack.properties.response_information->empty()) {
      return fail("CONNACK carried no Response Information (a broker without services? "
                  "use --plain-reqresp)");
    }
    inbox_ = *connack.properties.response_information;
  } else {
    inbox_ = plan_.plain_inbox;
  }
  template_ = make_call_template(plan_, inbox_ + "bench");
  protocol::Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions.push_back({inbox_ + "#", {protocol::QoS::at_least_once, false, false, 0}});
  protocol::encode_packet(subscribe, version(), out());
  flush();
}

void ServiceCaller::post_calls(std::uint64_t window_start_ns, std::uint64_t end_ns) {
  asio::post(io(), [this, window_start_ns, end_ns] {
    if (closing()) return;
    running_ = true;
    start_ns_ = now_ns();
    end_ns_ = end_ns;
    window_start_ns_ = window_start_ns;
    window_end_ns_ = end_ns;
    end_timer_.expires_after(std::chrono::nanoseconds(end_ns > start_ns_ ? end_ns - start_ns_ : 0));
    end_timer_.async_wait([this](std::error_code ec) {
      if (!ec) stop_calling();
    });
    if (plan_.rate > 0) {
      pace_timer_.expires_after(pace_period_);
      pace();
    }
    watch_deadlines();
    pump();
  });
}

void ServiceCaller::pace() {
  pace_timer_.async_wait([this](std::error_code ec) {
    if (ec || !running_) return;
    pump();
    pace_timer_.expires_at(pace_timer_.expiry() + pace_period_);  // no drift
    pace();
  });
}

void ServiceCaller::watch_deadlines() {
  deadline_timer_.expires_after(std::chrono::milliseconds(100));
  deadline_timer_.async_wait([this](std::error_code ec) {
    if (ec || closing()) return;
    const std::uint64_t now = now_ns();
    const std::uint64_t limit = plan_.timeout_ms * 1'000'000 + deadline_grace_ns;
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].busy && now - slots_[i].sent_ns > limit) {
        timeouts_.fetch_add(1, std::memory_order_relaxed);
        finish_call(i);
      }
    }
    update_done();
    pump();
    watch_deadlines();
  });
}

void ServiceCaller::pump() {
  if (!running_ || closing()) return;
  const std::uint64_t now = now_ns();
  if (now >= end_ns_) return stop_calling();
  std::uint64_t allowed = ~std::uint64_t{0};
  if (plan_.rate > 0) {
    const double due = std::floor(static_cast<double>(now - start_ns_) * plan_.rate / 1e9) + 1;
    const auto due_count = static_cast<std::uint64_t>(due);
    allowed = due_count > sequence_ ? due_count - sequence_ : 0;
  }
  while (allowed > 0 && !free_slots_.empty() && ids_in_flight_ < send_quota_ &&
         out().size() < batch_bytes) {
    append_call(now);
    --allowed;
  }
  flush();
}

void ServiceCaller::append_call(std::uint64_t now) {
  const std::uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  slots_[slot] = Slot{sequence_, now, true};
  outstanding_.fetch_add(1, std::memory_order_relaxed);
  do {
    ++next_id_;
  } while (next_id_ == 0 || slot_of_id_[next_id_] != 0);
  slot_of_id_[next_id_] = slot + 1;
  sequence_of_id_[next_id_] = sequence_;
  ++ids_in_flight_;
  auto& buffer = out();
  const std::size_t at = buffer.size();
  buffer.insert(buffer.end(), template_.bytes.begin(), template_.bytes.end());
  buffer[at + template_.packet_id_offset] = static_cast<std::uint8_t>(next_id_ >> 8);
  buffer[at + template_.packet_id_offset + 1] = static_cast<std::uint8_t>(next_id_ & 0xFF);
  write_stamp(buffer.data() + at + template_.correlation_offset, Stamp{slot, sequence_, now});
  ++sequence_;
  calls_.store(sequence_, std::memory_order_relaxed);
}

void ServiceCaller::on_frame(std::span<const std::uint8_t> frame, std::size_t header_size) {
  const auto type = static_cast<protocol::PacketType>(frame[0] >> 4);
  if (type == protocol::PacketType::publish) return handle_reply(frame, header_size);
  if (type == protocol::PacketType::puback) return handle_puback(frame, header_size);
  if (type != protocol::PacketType::suback || subscribed_) return;
  auto packet = protocol::decode_packet(frame, version());
  if (!packet || !std::holds_alternative<protocol::Suback>(*packet)) return fail("undecodable SUBACK");
  const auto& suback = std::get<protocol::Suback>(*packet);
  if (suback.reasons.empty() || static_cast<unsigned>(suback.reasons.front()) >= 0x80) {
    return fail("SUBSCRIBE " + inbox_ + "# refused");
  }
  subscribed_ = true;
  run().ready.fetch_add(1, std::memory_order_relaxed);
}

void ServiceCaller::handle_puback(std::span<const std::uint8_t> frame, std::size_t header_size) {
  if (frame.size() < header_size + 2) return fail("short PUBACK");
  const auto id = static_cast<std::uint16_t>((frame[header_size] << 8) | frame[header_size + 1]);
  const std::uint32_t slot_plus_one = slot_of_id_[id];
  if (slot_plus_one == 0) return fail("PUBACK for an unknown packet id");
  slot_of_id_[id] = 0;
  --ids_in_flight_;
  // A refused call (0x87 no call grant, 0x83 no usable inbox...) is one error: it ends here
  // unless its error reply (`denied`) came first and ended it [MQTT-3.4.2-1].
  if (frame.size() > header_size + 2 && frame[header_size + 2] >= 0x80) {
    const std::uint32_t slot = slot_plus_one - 1;
    if (slots_[slot].busy && slots_[slot].sequence == sequence_of_id_[id]) {
      run().report_error(client_id() + ": call PUBACK reason " + std::to_string(frame[header_size + 2]));
      finish_call(slot);
      update_done();
    }
  }
}

void ServiceCaller::handle_reply(std::span<const std::uint8_t> frame, std::size_t header_size) {
  const auto reply = scan_publish_v5(frame, header_size);
  if (!reply) return fail("malformed PUBLISH");
  if (reply->qos == 1) {
    const std::uint8_t ack[] = {0x40, 0x02, static_cast<std::uint8_t>(reply->packet_id >> 8),
                                static_cast<std::uint8_t>(reply->packet_id & 0xFF)};
    out().insert(out().end(), std::begin(ack), std::end(ack));
  }
  if (!reply->correlation || reply->correlation->size() != stamp_size) return;  // not ours
  const auto stamp = read_stamp(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(reply->correlation->data()), stamp_size));
  if (!stamp || stamp->publisher >= slots_.size()) return;
  Slot& slot = slots_[stamp->publisher];
  if (!slot.busy || slot.sequence != stamp->sequence) return;  // after its deadline, or refused
  const std::uint64_t now = now_ns();
  const std::string_view status = reply->svc_status.value_or("(none)");
  replies_.fetch_add(1, std::memory_order_relaxed);
  if (status == "ok") {
    if (now >= window_start_ns_ && now < window_end_ns_) {
      ++in_window_;
      histogram_->record(now > slot.sent_ns ? now - slot.sent_ns : 0);
    }
  } else {
    ++statuses_[std::string(status)];
    if (status == "timeout") {
      timeouts_.fetch_add(1, std::memory_order_relaxed);
    } else {
      run().report_error(client_id() + ": svc-status " + std::string(status) +
                         (reply->svc_error ? ": " + std::string(*reply->svc_error) : ""));
    }
  }
  finish_call(stamp->publisher);
  update_done();
}

void ServiceCaller::finish_call(std::uint32_t slot) {
  slots_[slot].busy = false;
  free_slots_.push_back(slot);
  outstanding_.fetch_sub(1, std::memory_order_relaxed);
}

void ServiceCaller::stop_calling() {
  if (stopped_) return;
  stopped_ = true;
  running_ = false;
  pace_timer_.cancel();
  end_timer_.cancel();
  update_done();
}

void ServiceCaller::update_done() {
  if (stopped_ && free_slots_.size() == slots_.size()) done_.store(true, std::memory_order_release);
}

void ServiceCaller::on_closing() {
  running_ = false;
  pace_timer_.cancel();
  end_timer_.cancel();
  deadline_timer_.cancel();
}

}  // namespace arkmq::bench
