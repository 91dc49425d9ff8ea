// Equal-jitter exponential backoff.
#include "edge-client/backoff.hpp"

#include <algorithm>

namespace arkmq::edge {

Backoff::Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, std::uint64_t seed)
    : min_(std::max(min, std::chrono::milliseconds(1))), max_(std::max(max, min_)), random_(seed) {}

std::chrono::milliseconds Backoff::ceiling(int attempt) const {
  auto value = min_;
  for (int i = 0; i < attempt && value < max_; ++i) value *= 2;
  return std::min(value, max_);
}

std::chrono::milliseconds Backoff::next() {
  const auto cap = ceiling(attempt_);
  if (attempt_ < 64) ++attempt_;
  std::uniform_int_distribution<std::int64_t> pick(cap.count() / 2, cap.count());
  return std::chrono::milliseconds(pick(random_));
}

}  // namespace arkmq::edge
