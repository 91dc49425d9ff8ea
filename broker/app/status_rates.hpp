// RateHistory: message rates and connected clients over the last minutes for the status page's
// charts, one sample a second from Broker::stats(). sample() runs on the main thread's 1 s timer
// (StatusSampler), samples() on the HTTP endpoint's threads; a mutex guards the ring. Owner:
// ops-status.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "broker/core/broker.hpp"

namespace arkmq::app {

struct RateSample {
  std::chrono::system_clock::time_point time;  // wall clock, for the chart's axis
  double messages_in_per_s = 0;   // PUBLISH packets from clients
  double messages_out_per_s = 0;  // PUBLISH packets to clients
  double bytes_in_per_s = 0;
  double bytes_out_per_s = 0;
  std::uint64_t clients_connected = 0;
};

class RateHistory {
 public:
  static constexpr std::size_t kDefaultCapacity = 15 * 60;  // 15 minutes of 1 s samples

  explicit RateHistory(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // Records the rates since the previous call (the first call only sets the baseline). `now`
  // is the steady clock that measures the interval; `wall` labels the sample.
  void sample(const core::BrokerStats& stats, core::Clock::time_point now,
              std::chrono::system_clock::time_point wall);
  // The samples of the last `window` seconds (one a second; all of them when the window is
  // longer than the ring), oldest first.
  std::vector<RateSample> samples(std::chrono::seconds window) const;

 private:
  struct Baseline {
    core::BrokerStats stats;
    core::Clock::time_point at;
  };

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::optional<Baseline> last_;
  std::deque<RateSample> ring_;  // oldest first, at most capacity_
};

}  // namespace arkmq::app
