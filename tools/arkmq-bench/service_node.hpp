// The reqresp scenario's node: one MQTT 5 connection that announces service `bench` (method
// `echo`) as principal N and answers every forwarded request by publishing its payload to the
// request's Response Topic with its Correlation Data and `svc-status: ok`, at QoS 1
// (docs/protocol.md, "Reply"). In plain mode it serves ordinary topics and announces nothing.
// io_context thread; requests() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/arkmq-bench/mqtt_link.hpp"

namespace arkmq::bench {

struct NodePlan {
  std::string call_filter;     // $svc/node/N/call/bench/# (plain: <base>/call/#)
  std::string announce_topic;  // $svc/announce/N/bench; empty in plain mode
  std::string announce_body;   // the announcement JSON
  std::uint16_t heartbeat_s = 10;
};

// The announcement of service `bench` with method `echo`, available, with this heartbeat.
std::string bench_announcement(std::uint16_t heartbeat_s);

// A QoS 1 MQTT 5 PUBLISH of `payload` to `topic` with Correlation Data and the user property
// svc-status = ok, appended to `out`; returns the offset of its packet id within `out`.
std::size_t append_reply(std::vector<std::uint8_t>& out, std::string_view topic,
                         std::uint16_t packet_id, std::string_view correlation,
                         std::span<const std::uint8_t> payload);

class ServiceNode final : public MqttLink {
 public:
  ServiceNode(asio::io_context& io, const LinkSettings& settings, RunState& run,
              std::string client_id, NodePlan plan);

  std::uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  // Replies the broker acknowledged with 0x10 (late, duplicate or unmatched: not relayed).
  std::uint64_t dropped_replies() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void on_connected(const protocol::Connack& connack) override;
  void on_frame(std::span<const std::uint8_t> frame, std::size_t header_size) override;
  void on_read_batch_end() override { flush(); }
  void on_closing() override { announce_timer_.cancel(); }

  void handle_suback(std::span<const std::uint8_t> frame);
  void handle_puback(std::span<const std::uint8_t> frame, std::size_t header_size);
  void handle_request(std::span<const std::uint8_t> frame, std::size_t header_size);
  void announce();
  void schedule_announce();
  std::uint16_t take_id();
  void release_id(std::uint16_t id);
  void send_held();  // held replies, while the broker's Receive Maximum allows

  NodePlan plan_;
  asio::steady_timer announce_timer_;
  bool subscribed_ = false;
  bool announced_ = false;
  unsigned send_quota_ = 65535;  // the broker's Receive Maximum [MQTT-3.3.4-9]
  unsigned in_flight_ = 0;
  std::uint16_t next_id_ = 0;
  std::vector<std::uint8_t> id_state_;  // 0 free, 1 reply, 2 announcement
  // Replies past the Receive Maximum: encoded with packet id 0, patched when sent.
  struct Held {
    std::vector<std::uint8_t> bytes;
    std::size_t id_offset = 0;
  };
  std::deque<Held> held_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace arkmq::bench
