// A reqresp caller: MQTT 5, takes its inbox from CONNACK's Response Information (services) or
// builds one on an ordinary topic (plain), subscribes to it, then keeps up to `inflight` calls
// outstanding (optionally paced to `rate` calls/s). Each call is one pre-encoded QoS 1 PUBLISH
// whose Correlation Data carries a slot, a sequence number and the send time; a reply frees the
// slot and its round trip is recorded. io_context thread; the counters from any thread; the
// histogram and the status counts once the io threads are joined.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tools/arkmq-bench/latency_histogram.hpp"
#include "tools/arkmq-bench/mqtt_link.hpp"

namespace arkmq::bench {

struct CallPlan {
  std::string call_topic;    // $svc/call/bench/echo (plain: <base>/call/echo)
  std::string plain_inbox;   // plain mode: the reply prefix; empty: CONNACK's Response Information
  std::size_t size = 64;     // request payload bytes
  double rate = 0;           // calls/s; 0: as fast as replies come back
  unsigned inflight = 1;
  std::uint64_t timeout_ms = 5000;  // svc-timeout-ms (services), and the bench's own deadline
};

// The call PUBLISH encoded once; correlation_offset / packet_id_offset say where to patch.
struct CallTemplate {
  std::vector<std::uint8_t> bytes;
  std::size_t correlation_offset = 0;  // 16 bytes: the stamp (publisher = slot)
  std::size_t packet_id_offset = 0;
};
CallTemplate make_call_template(const CallPlan& plan, const std::string& response_topic);

class ServiceCaller final : public MqttLink {
 public:
  ServiceCaller(asio::io_context& io, const LinkSettings& settings, RunState& run,
                std::string client_id, CallPlan plan);

  // Calls from now until end_ns; replies arriving in [window_start_ns, end_ns) are measured.
  void post_calls(std::uint64_t window_start_ns, std::uint64_t end_ns);
  void post_stop() {
    asio::post(io(), [this] { stop_calling(); });
  }
  void post_window_end(std::uint64_t end_ns) {
    asio::post(io(), [this, end_ns] { window_end_ns_ = end_ns; });
  }

  std::uint64_t calls() const { return calls_.load(std::memory_order_relaxed); }
  std::uint64_t replies() const { return replies_.load(std::memory_order_relaxed); }
  std::uint64_t timeouts() const { return timeouts_.load(std::memory_order_relaxed); }
  std::uint64_t outstanding() const { return outstanding_.load(std::memory_order_relaxed); }
  // Stopped calling and nothing is outstanding.
  bool done() const { return done_.load(std::memory_order_acquire); }

  // After the io threads are joined:
  std::uint64_t in_window() const { return in_window_; }
  const LatencyHistogram& histogram() const { return *histogram_; }
  const std::map<std::string, std::uint64_t>& statuses() const { return statuses_; }

 private:
  struct Slot {
    std::uint64_t sequence = 0;
    std::uint64_t sent_ns = 0;
    bool busy = false;
  };

  void on_connected(const protocol::Connack& connack) override;
  void on_frame(std::span<const std::uint8_t> frame, std::size_t header_size) override;
  void on_read_batch_end() override { pump(); }
  void on_written() override { pump(); }
  void on_closing() override;

  void handle_puback(std::span<const std::uint8_t> frame, std::size_t header_size);
  void handle_reply(std::span<const std::uint8_t> frame, std::size_t header_size);
  void pump();
  void append_call(std::uint64_t now);
  void finish_call(std::uint32_t slot);
  void stop_calling();
  void pace();
  void watch_deadlines();
  void update_done();

  CallPlan plan_;
  std::string inbox_;
  CallTemplate template_;
  asio::steady_timer pace_timer_;
  asio::steady_timer end_timer_;
  asio::steady_timer deadline_timer_;
  std::chrono::nanoseconds pace_period_{0};
  bool subscribed_ = false;
  bool running_ = false;
  bool stopped_ = false;
  std::uint64_t start_ns_ = 0;
  std::uint64_t end_ns_ = 0;
  std::uint64_t window_start_ns_ = ~std::uint64_t{0};
  std::uint64_t window_end_ns_ = ~std::uint64_t{0};
  std::uint64_t sequence_ = 0;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  unsigned send_quota_ = 65535;  // the broker's Receive Maximum
  unsigned ids_in_flight_ = 0;
  std::uint16_t next_id_ = 0;
  std::vector<std::uint32_t> slot_of_id_;  // per packet id: slot + 1, 0 when free
  std::vector<std::uint64_t> sequence_of_id_;  // per packet id: the call it carried
  std::uint64_t in_window_ = 0;
  std::unique_ptr<LatencyHistogram> histogram_;
  std::map<std::string, std::uint64_t> statuses_;
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> replies_{0};
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<std::uint64_t> outstanding_{0};
  std::atomic<bool> done_{false};
};

}  // namespace arkmq::bench
