// RateHistory: per-second rates from successive BrokerStats, in a bounded ring.
#include "broker/app/status_rates.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace arkmq::app {
namespace {

// Counters only grow; a smaller value (never expected) counts as no traffic, not as negative.
double per_second(std::uint64_t before, std::uint64_t after, double seconds) {
  return after > before ? static_cast<double>(after - before) / seconds : 0.0;
}

}  // namespace

void RateHistory::sample(const core::BrokerStats& stats, core::Clock::time_point now,
                         std::chrono::system_clock::time_point wall) {
  std::lock_guard lock(mutex_);
  if (last_) {
    const double seconds = std::chrono::duration<double>(now - last_->at).count();
    if (seconds <= 0) return;  // same instant twice: nothing to measure
    const core::BrokerStats& before = last_->stats;
    RateSample sample;
    sample.time = wall;
    sample.messages_in_per_s =
        per_second(before.messages_received, stats.messages_received, seconds);
    sample.messages_out_per_s = per_second(before.messages_sent, stats.messages_sent, seconds);
    sample.bytes_in_per_s = per_second(before.bytes_received, stats.bytes_received, seconds);
    sample.bytes_out_per_s = per_second(before.bytes_sent, stats.bytes_sent, seconds);
    sample.clients_connected = stats.clients_connected;
    if (capacity_ > 0) {
      if (ring_.size() == capacity_) ring_.pop_front();
      ring_.push_back(sample);
    }
  }
  last_ = Baseline{stats, now};
}

std::vector<RateSample> RateHistory::samples(std::chrono::seconds window) const {
  // One sample a second: the window is a count, so a wall-clock jump cannot hide samples.
  const auto wanted = static_cast<std::size_t>(std::max<std::int64_t>(window.count(), 0));
  std::lock_guard lock(mutex_);
  const std::size_t n = std::min(wanted, ring_.size());
  return {ring_.end() - static_cast<std::ptrdiff_t>(n), ring_.end()};
}

}  // namespace arkmq::app
