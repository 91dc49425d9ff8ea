// A token bucket (rate + burst) refilled from elapsed steady-clock time passed in by the caller:
// no clock reads, no syscalls, no allocation. Owned by its user (one client's quota); one thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace arkmq::core {

// Tokens are kept as signed nanotokens, so refilling is `elapsed_ns * rate` in integers (exact,
// deterministic in tests). Rules:
// - rate 0: unlimited, every take() succeeds and nothing is tracked.
// - burst 0: one second's worth of the rate. The bucket starts full.
// - A take of n succeeds when the bucket holds at least min(n, burst) tokens, then removes n:
//   a request larger than the burst passes only from a full bucket and leaves it in debt, so the
//   long-run average still equals the rate and no request is refused forever.
// - set_limits() refills at the old rate up to `now`, then caps the tokens at the new burst (a
//   bucket that was unlimited starts full).
// - Rates and bursts above kMaxTokens are treated as kMaxTokens (4 billion per second).
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::uint64_t kMaxTokens = 4'000'000'000ULL;

  TokenBucket() = default;  // unlimited
  TokenBucket(std::uint64_t rate_per_s, std::uint64_t burst, Clock::time_point now);

  void set_limits(std::uint64_t rate_per_s, std::uint64_t burst, Clock::time_point now);

  // The three steps of a check are inline: they run for every PUBLISH (see quota_bench.cpp).
  // Refills to `now` (a `now` before the last one counts as no time passing).
  void refill(Clock::time_point now) {
    if (rate_ != 0 && now > last_) refill_elapsed(now);
  }
  // After refill(): would take(n) succeed?
  bool can_take(std::uint64_t n) const {
    return rate_ == 0 || tokens_ >= std::min(cost(n), capacity_);
  }
  // After can_take(n) returned true. Debt is bounded: tokens_ >= capacity_ - cost(n).
  void take(std::uint64_t n) {
    if (rate_ != 0) tokens_ -= cost(n);
  }
  // Takes n whatever the bucket holds (something already accepted); the debt is capped at
  // kMaxTokens so it stays within range however often this is called.
  void force_take(std::uint64_t n) {
    if (rate_ != 0) tokens_ = std::max(tokens_ - cost(n), -kMaxDebt);
  }
  // refill + can_take + take.
  bool try_take(std::uint64_t n, Clock::time_point now);
  // After refill(): how long until can_take(n) is true (zero when it is already). Used to pause
  // reading from a v3.1.1 client until its next message would be admitted.
  Clock::duration time_until(std::uint64_t n) const;

  bool is_unlimited() const { return rate_ == 0; }
  std::uint64_t rate() const { return rate_; }
  std::uint64_t burst() const { return static_cast<std::uint64_t>(capacity_ / kNano); }
  // Whole tokens available now (negative while in debt); for tests and statistics.
  std::int64_t tokens() const { return tokens_ / kNano; }

 private:
  static constexpr std::int64_t kNano = 1'000'000'000;
  static constexpr std::int64_t kMaxDebt = static_cast<std::int64_t>(kMaxTokens) * kNano;

  static std::int64_t cost(std::uint64_t n) {
    return static_cast<std::int64_t>(std::min(n, kMaxTokens)) * kNano;
  }
  void refill_elapsed(Clock::time_point now);  // rate_ != 0 and now > last_

  std::uint64_t rate_ = 0;        // tokens per second; refill is rate_ nanotokens per ns
  std::int64_t capacity_ = 0;     // nanotokens
  std::int64_t tokens_ = 0;       // nanotokens, in [-kMaxTokens * kNano, capacity_]
  Clock::time_point last_{};
};

}  // namespace arkmq::core
