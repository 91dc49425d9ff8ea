// Letting wall-clock time pass when time itself is under test (expiry intervals, will delay).
// Never a substitute for waiting on an event: those use deadlines on conditions.
#pragma once

#include <chrono>
#include <thread>

namespace arkmq::test {

inline void let_time_pass(std::chrono::milliseconds duration) {
  std::this_thread::sleep_for(duration);
}

}  // namespace arkmq::test
