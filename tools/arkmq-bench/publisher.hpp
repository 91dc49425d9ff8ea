// A publishing connection: one PUBLISH encoded once, copied into 64 KiB batches with the stamp
// (and packet id) patched in; QoS 1 keeps at most `window` packet ids in flight; --rate paces it
// with one timer per publisher. io_context thread; post_publish and the counters from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/arkmq-bench/mqtt_link.hpp"

namespace arkmq::bench {

struct PublishPlan {
  std::string topic;
  protocol::QoS qos = protocol::QoS::at_most_once;
  std::size_t size = 64;
  double rate = 0;  // messages/s; 0: as fast as the socket takes them
  unsigned window = 64;
  std::uint32_t index = 0;  // this publisher's number in the stamp
};

// Encodes the PUBLISH once; payload_offset / packet_id_offset say where to patch.
struct PublishTemplate {
  std::vector<std::uint8_t> bytes;
  std::size_t payload_offset = 0;
  std::size_t packet_id_offset = 0;  // meaningful for QoS 1
};
PublishTemplate make_publish_template(const PublishPlan& plan, protocol::ProtocolVersion version);

class Publisher final : public MqttLink {
 public:
  Publisher(asio::io_context& io, const LinkSettings& settings, RunState& run,
            std::string client_id, PublishPlan plan);

  // Publishes from now until end_ns (steady_clock ns).
  void post_publish(std::uint64_t end_ns);
  void post_stop() {  // ends publishing before end_ns (an interrupted run)
    asio::post(io(), [this] { stop_publishing(); });
  }

  std::uint32_t index() const { return plan_.index; }
  std::uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t acked() const { return acked_.load(std::memory_order_relaxed); }
  // Stopped publishing and every QoS 1 message is acknowledged.
  bool done() const { return done_.load(std::memory_order_acquire); }

 private:
  void on_connected(const protocol::Connack& connack) override;
  void on_frame(std::span<const std::uint8_t> frame, std::size_t header_size) override;
  void on_read_batch_end() override { pump(); }
  void on_written() override { pump(); }
  void on_closing() override;

  void pump();
  void append_one(std::uint64_t now);
  void stop_publishing();
  void pace();

  PublishPlan plan_;
  PublishTemplate template_;
  asio::steady_timer pace_timer_;
  asio::steady_timer end_timer_;
  std::chrono::nanoseconds pace_period_{0};
  bool running_ = false;
  std::uint64_t start_ns_ = 0;
  std::uint64_t end_ns_ = 0;
  std::uint64_t sequence_ = 0;
  unsigned window_;
  unsigned in_flight_ = 0;
  std::uint16_t next_id_ = 0;
  std::vector<std::uint8_t> id_in_flight_;  // 65536 flags
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> acked_{0};
  std::atomic<bool> done_{false};
};

}  // namespace arkmq::bench
