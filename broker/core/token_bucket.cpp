// TokenBucket: integer refill from elapsed time, debt for requests larger than the burst.
// Owned by the flow-control engineer; see token_bucket.hpp for the rules.
#include "broker/core/token_bucket.hpp"

#include <algorithm>

namespace arkmq::core {

TokenBucket::TokenBucket(std::uint64_t rate_per_s, std::uint64_t burst, Clock::time_point now) {
  set_limits(rate_per_s, burst, now);
}

void TokenBucket::set_limits(std::uint64_t rate_per_s, std::uint64_t burst,
                             Clock::time_point now) {
  const bool was_unlimited = is_unlimited();
  refill(now);
  rate_ = std::min(rate_per_s, kMaxTokens);
  if (rate_ == 0) {
    capacity_ = 0;
    tokens_ = 0;
    return;
  }
  const std::uint64_t size = burst == 0 ? rate_ : std::min(burst, kMaxTokens);
  capacity_ = static_cast<std::int64_t>(size) * kNano;
  // Tokens earned under the old limits are kept, but never more than the new bucket holds.
  tokens_ = was_unlimited ? capacity_ : std::min(tokens_, capacity_);
  last_ = was_unlimited ? now : std::max(last_, now);  // time credited once, never twice
}

void TokenBucket::refill_elapsed(Clock::time_point now) {
  const auto elapsed_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_).count();
  last_ = now;
  if (tokens_ >= capacity_) return;
  const std::int64_t missing = capacity_ - tokens_;  // at most 2 * kMaxTokens * kNano: fits
  std::int64_t earned = 0;
  // An overflow means more than a whole bucket was earned (hours or days of idle time).
  if (__builtin_mul_overflow(elapsed_ns, static_cast<std::int64_t>(rate_), &earned) ||
      earned >= missing) {
    tokens_ = capacity_;
  } else {
    tokens_ += earned;
  }
}

bool TokenBucket::try_take(std::uint64_t n, Clock::time_point now) {
  refill(now);
  if (!can_take(n)) return false;
  take(n);
  return true;
}

TokenBucket::Clock::duration TokenBucket::time_until(std::uint64_t n) const {
  if (rate_ == 0) return Clock::duration::zero();
  const std::int64_t missing = std::min(cost(n), capacity_) - tokens_;
  if (missing <= 0) return Clock::duration::zero();
  // Refill is rate_ nanotokens per ns: round up so the bucket really holds the tokens then.
  const auto rate = static_cast<std::int64_t>(rate_);
  const std::int64_t ns = (missing + rate - 1) / rate;
  return std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns));
}

}  // namespace arkmq::core
