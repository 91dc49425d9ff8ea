// One connect loop of the connect scenario: TCP connect, TLS handshake (mqtts://), CONNECT,
// CONNACK, DISCONNECT, wait for the broker to close (so TIME_WAIT stays on its side), again.
// Lives on one io_context's thread; post_* and the counter from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/arkmq-bench/mqtt_link.hpp"

namespace arkmq::bench {

class ConnectWorker {
 public:
  ConnectWorker(asio::io_context& io, const LinkSettings& settings, RunState& run,
                std::string id_prefix);

  // Loops until end_ns; CONNACKs received in [window_start_ns, end_ns) count.
  void post_run(std::uint64_t window_start_ns, std::uint64_t end_ns);
  void post_stop();

  std::uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }
  std::uint64_t in_window() const { return in_window_.load(std::memory_order_relaxed); }
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }

 private:
  void cycle();
  void read_connack();
  void await_close();
  void next(const std::string& error);  // ends this cycle (an error if not empty), starts the next
  bool over() const;

  asio::io_context& io_;
  const LinkSettings& settings_;
  RunState& run_;
  std::string id_prefix_;
  std::optional<Transport> transport_;
  asio::steady_timer timer_;
  std::vector<std::uint8_t> out_;
  std::vector<std::uint8_t> in_;
  std::size_t in_used_ = 0;
  std::uint64_t attempt_ = 0;
  std::uint64_t window_start_ns_ = 0;
  std::uint64_t end_ns_ = 0;
  bool stop_requested_ = false;
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> in_window_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace arkmq::bench
