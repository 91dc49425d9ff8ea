// A point in time after which a test stops waiting; every wait in the integration tests takes one.
// Value type; any thread.
#pragma once

#include <chrono>

namespace arkmq::test {

using Clock = std::chrono::steady_clock;

class Deadline {
 public:
  explicit Deadline(Clock::duration from_now) : at_(Clock::now() + from_now) {}

  bool expired() const { return Clock::now() >= at_; }
  Clock::time_point time_point() const { return at_; }

  // Milliseconds left, clamped to [0, INT_MAX], for poll(2).
  int remaining_ms() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(at_ - Clock::now());
    if (left.count() <= 0) return 0;
    return left.count() > 2'000'000'000 ? 2'000'000'000 : static_cast<int>(left.count());
  }

 private:
  Clock::time_point at_;
};

}  // namespace arkmq::test
