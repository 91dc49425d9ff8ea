// Reconnect delays: exponential backoff with jitter, so a fleet of edges that lost the cloud at
// once does not reconnect in lockstep. Owned by the cloud link thread; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace arkmq::edge {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, std::uint64_t seed);

  // Attempt k (0-based) has ceiling c = min(max, min * 2^k); the delay is uniform in [c/2, c]
  // ("equal jitter"): never below half the ceiling, so retries still back off.
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }
  std::chrono::milliseconds ceiling(int attempt) const;

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  int attempt_ = 0;
  std::mt19937_64 random_;
};

}  // namespace arkmq::edge
