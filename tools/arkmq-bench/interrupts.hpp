// Ctrl-C (SIGINT) or SIGTERM during a run: the first ends the load early and the summary still
// prints; the second also skips the drain. The handler runs on one pool thread; count() anywhere.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <csignal>

namespace arkmq::bench {

class Interrupts {
 public:
  explicit Interrupts(asio::io_context& io) : signals_(io, SIGINT, SIGTERM) { arm(); }

  unsigned count() const { return count_.load(std::memory_order_relaxed); }

 private:
  void arm() {
    signals_.async_wait([this](std::error_code ec, int) {
      if (ec) return;
      count_.fetch_add(1, std::memory_order_relaxed);
      arm();
    });
  }

  asio::signal_set signals_;
  std::atomic<unsigned> count_{0};
};

}  // namespace arkmq::bench
