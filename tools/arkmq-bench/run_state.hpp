// What every connection of one run shares: the error count with a few sample messages, and the
// counters the main thread waits on (ready, closed). Thread-safe; owned by the scenario driver.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace arkmq::bench {

// steady_clock in nanoseconds: the send stamp and every latency use it (one process, one clock).
inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

class RunState {
 public:
  static constexpr std::size_t max_samples = 5;

  void report_error(const std::string& what) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    if (samples_.size() < max_samples) samples_.push_back(what);
  }
  std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  std::vector<std::string> error_samples() const {
    std::lock_guard lock(mutex_);
    return samples_;
  }

  std::atomic<unsigned> ready{0};   // connections that finished their setup (CONNACK, SUBACK)
  std::atomic<unsigned> failed{0};  // connections that ended with an error
  std::atomic<unsigned> closed{0};  // connections closed (cleanly or not)

 private:
  std::atomic<std::uint64_t> errors_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> samples_;
};

}  // namespace arkmq::bench
