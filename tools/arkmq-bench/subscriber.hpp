// A subscribing connection: one SUBSCRIBE, then every PUBLISH is parsed in place (no allocation),
// acknowledged for QoS 1 (acks batched per read), its stamp checked for loss, duplicates and order,
// and its latency recorded. io_context thread; the counters from any thread; the tracker and the
// histogram only once the io threads are joined.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "tools/arkmq-bench/latency_histogram.hpp"
#include "tools/arkmq-bench/mqtt_link.hpp"
#include "tools/arkmq-bench/sequence_tracker.hpp"

namespace arkmq::bench {

struct SubscribePlan {
  std::string filter;
  protocol::QoS qos = protocol::QoS::at_most_once;
  std::size_t publishers = 1;  // publisher indexes this subscriber hears: 0..publishers-1
};

// Where a PUBLISH frame's payload starts and its QoS/packet id; nullopt if it is malformed.
struct PublishView {
  std::uint8_t qos = 0;
  std::uint16_t packet_id = 0;
  std::span<const std::uint8_t> payload;
};
std::optional<PublishView> parse_publish(std::span<const std::uint8_t> frame,
                                         std::size_t header_size,
                                         protocol::ProtocolVersion version);

class Subscriber final : public MqttLink {
 public:
  Subscriber(asio::io_context& io, const LinkSettings& settings, RunState& run,
             std::string client_id, SubscribePlan plan);

  // Arrivals between these instants (steady_clock ns) count for the rate and the histogram.
  void post_window(std::uint64_t start_ns, std::uint64_t end_ns) {
    asio::post(io(), [this, start_ns, end_ns] {
      window_start_ns_ = start_ns;
      window_end_ns_ = end_ns;
    });
  }

  std::uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  std::uint64_t distinct() const { return distinct_.load(std::memory_order_relaxed); }
  // After the io threads are joined:
  std::uint64_t in_window() const { return in_window_; }
  const SequenceTracker& tracker() const { return tracker_; }
  const LatencyHistogram& histogram() const { return *histogram_; }

 private:
  void on_connected(const protocol::Connack& connack) override;
  void on_frame(std::span<const std::uint8_t> frame, std::size_t header_size) override;
  void on_read_batch_end() override { flush(); }

  SubscribePlan plan_;
  bool subscribed_ = false;
  std::uint64_t window_start_ns_ = ~std::uint64_t{0};  // no window until post_window
  std::uint64_t window_end_ns_ = ~std::uint64_t{0};
  std::uint64_t in_window_ = 0;
  SequenceTracker tracker_;
  std::unique_ptr<LatencyHistogram> histogram_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> distinct_{0};
};

}  // namespace arkmq::bench
