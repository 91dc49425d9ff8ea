// Google Benchmark of the per-message quota check (PublishQuota::check_publish): the cost the
// publish path pays per PUBLISH once flow control is wired, with synthetic time (no clock read)
// and, separately, with a steady_clock read per message as a worker would do. Linked into
// arkmq_core_bench (its main is in subscription_tree_bench.cpp).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>

#include "broker/core/publish_quota.hpp"

namespace arkmq::core {
namespace {

using Clock = PublishQuota::Clock;

constexpr std::size_t kPacketBytes = 100;

// Fails the benchmark when the first verdict is not `expected`: a figure of the wrong path is worse
// than none.
void expect_first(benchmark::State& state, QuotaVerdict got, QuotaVerdict expected) {
  if (got != expected) state.SkipWithError("unexpected verdict");
}

// No limits: the quota of most clients.
void BM_QuotaUnlimited(benchmark::State& state) {
  PublishQuota quota;
  Clock::time_point now{std::chrono::hours(1)};
  expect_first(state, quota.check_publish(kPacketBytes, now), QuotaVerdict::ok);
  for (auto _ : state) {
    now += std::chrono::microseconds(1);
    benchmark::DoNotOptimize(quota.check_publish(kPacketBytes, now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuotaUnlimited);

// Both buckets limited, traffic under the limits: every check refills both and charges both.
void BM_QuotaWithinLimits(benchmark::State& state) {
  PublishQuota quota({.msgs_per_s = 2'000'000, .msgs_burst = 1000, .bytes_per_s = 400'000'000,
                      .bytes_burst = 100'000},
                     Clock::time_point{std::chrono::hours(1)});
  Clock::time_point now{std::chrono::hours(1)};
  expect_first(state, quota.check_publish(kPacketBytes, now), QuotaVerdict::ok);
  for (auto _ : state) {
    now += std::chrono::microseconds(1);  // 1 M msgs/s, 100 MB/s: half the limits
    benchmark::DoNotOptimize(quota.check_publish(kPacketBytes, now));
  }
  if (quota.counters().rate_exceeded + quota.counters().quota_exceeded != 0) {
    state.SkipWithError("a message was refused");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuotaWithinLimits);

// A flooding client: the message bucket is empty and every check is refused.
void BM_QuotaExceeded(benchmark::State& state) {
  const Clock::time_point start{std::chrono::hours(1)};
  PublishQuota quota({.msgs_per_s = 10, .msgs_burst = 1, .bytes_per_s = 1000}, start);
  Clock::time_point now = start;
  (void)quota.check_publish(kPacketBytes, now);
  expect_first(state, quota.check_publish(kPacketBytes, now), QuotaVerdict::rate_exceeded);
  for (auto _ : state) {
    now += std::chrono::nanoseconds(1);
    benchmark::DoNotOptimize(quota.check_publish(kPacketBytes, now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuotaExceeded);

// As BM_QuotaWithinLimits, with steady_clock::now() read for each message (vDSO, no syscall).
void BM_QuotaWithinLimitsAndClockRead(benchmark::State& state) {
  PublishQuota quota({.msgs_per_s = 4'000'000'000, .bytes_per_s = 4'000'000'000}, Clock::now());
  for (auto _ : state) {
    benchmark::DoNotOptimize(quota.check_publish(kPacketBytes, Clock::now()));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuotaWithinLimitsAndClockRead);

}  // namespace
}  // namespace arkmq::core
