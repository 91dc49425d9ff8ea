// Tests of TokenBucket: refill from elapsed time, bursts, debt, runtime limit changes, extremes.
#include "broker/core/token_bucket.hpp"

#include <gtest/gtest.h>

namespace arkmq::core {
namespace {

using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

const Clock::time_point kStart{std::chrono::hours(1)};

// How many of `attempts` takes of `n` succeed at time `now`.
int takes(TokenBucket& bucket, int attempts, std::uint64_t n, Clock::time_point now) {
  int ok = 0;
  for (int i = 0; i < attempts; ++i) ok += bucket.try_take(n, now) ? 1 : 0;
  return ok;
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  TokenBucket bucket(0, 5, kStart);
  EXPECT_TRUE(bucket.is_unlimited());
  EXPECT_EQ(takes(bucket, 10000, 1'000'000, kStart), 10000);
  TokenBucket by_default;
  EXPECT_TRUE(by_default.try_take(123, kStart));
}

TEST(TokenBucket, StartsFullAndAdmitsExactlyTheBurst) {
  TokenBucket bucket(10, 25, kStart);
  EXPECT_EQ(takes(bucket, 100, 1, kStart), 25);
  EXPECT_EQ(bucket.tokens(), 0);
}

TEST(TokenBucket, ZeroBurstIsOneSecondOfTheRate) {
  TokenBucket bucket(10, 0, kStart);
  EXPECT_EQ(bucket.burst(), 10U);
  EXPECT_EQ(takes(bucket, 100, 1, kStart), 10);
}

TEST(TokenBucket, RefillsAtTheRateFromElapsedTime) {
  TokenBucket bucket(10, 10, kStart);
  ASSERT_EQ(takes(bucket, 10, 1, kStart), 10);
  EXPECT_FALSE(bucket.try_take(1, kStart + 99ms));   // 0.99 tokens
  EXPECT_TRUE(bucket.try_take(1, kStart + 100ms));   // exactly 1
  EXPECT_FALSE(bucket.try_take(1, kStart + 100ms));
  EXPECT_EQ(takes(bucket, 100, 1, kStart + 600ms), 5);
}

TEST(TokenBucket, RefillNeverExceedsTheBurst) {
  TokenBucket bucket(1000, 3, kStart);
  ASSERT_EQ(takes(bucket, 3, 1, kStart), 3);
  EXPECT_EQ(takes(bucket, 100, 1, kStart + 1h), 3);
}

TEST(TokenBucket, SustainedRateMatchesTheConfiguredRate) {
  TokenBucket bucket(1000, 1, kStart);
  ASSERT_TRUE(bucket.try_take(1, kStart));
  int admitted = 0;
  // One attempt every 100 us for 10 s: the bucket admits 1000 per second.
  for (int i = 1; i <= 100'000; ++i) {
    admitted += bucket.try_take(1, kStart + i * 100us) ? 1 : 0;
  }
  EXPECT_EQ(admitted, 10'000);
}

TEST(TokenBucket, TimeGoingBackwardsEarnsNothing) {
  TokenBucket bucket(10, 1, kStart + 1s);
  ASSERT_TRUE(bucket.try_take(1, kStart + 1s));
  EXPECT_FALSE(bucket.try_take(1, kStart));
  EXPECT_FALSE(bucket.try_take(1, kStart + 1s));
  EXPECT_TRUE(bucket.try_take(1, kStart + 1100ms));
}

TEST(TokenBucket, ARequestLargerThanTheBurstPassesFromAFullBucketAndLeavesDebt) {
  TokenBucket bucket(100, 100, kStart);
  EXPECT_TRUE(bucket.try_take(250, kStart));
  EXPECT_EQ(bucket.tokens(), -150);
  EXPECT_FALSE(bucket.try_take(1, kStart + 1s));   // -50
  EXPECT_FALSE(bucket.try_take(1, kStart + 1500ms));  // 0
  EXPECT_TRUE(bucket.try_take(1, kStart + 1510ms));   // 1
  // Full again: the large request passes once more, not before.
  EXPECT_FALSE(bucket.try_take(250, kStart + 2s));
  EXPECT_TRUE(bucket.try_take(250, kStart + 3s));
}

TEST(TokenBucket, LoweringTheLimitsCapsTheCurrentTokens) {
  TokenBucket bucket(100, 100, kStart);
  bucket.set_limits(10, 5, kStart);
  EXPECT_EQ(bucket.tokens(), 5);
  EXPECT_EQ(takes(bucket, 100, 1, kStart), 5);
  EXPECT_TRUE(bucket.try_take(1, kStart + 100ms));  // the new rate: 10/s
  EXPECT_FALSE(bucket.try_take(1, kStart + 150ms));
}

TEST(TokenBucket, RaisingTheLimitsKeepsTheCurrentTokens) {
  TokenBucket bucket(10, 10, kStart);
  ASSERT_EQ(takes(bucket, 8, 1, kStart), 8);
  bucket.set_limits(1000, 1000, kStart);
  EXPECT_EQ(bucket.tokens(), 2);
  EXPECT_EQ(takes(bucket, 100, 1, kStart + 10ms), 12);  // 2 + 10 earned at the new rate
}

TEST(TokenBucket, ChangingTheLimitsFirstCreditsTimeAtTheOldRate) {
  TokenBucket bucket(10, 10, kStart);
  ASSERT_EQ(takes(bucket, 10, 1, kStart), 10);
  bucket.set_limits(1, 10, kStart + 500ms);  // 5 tokens were earned at 10/s
  EXPECT_EQ(bucket.tokens(), 5);
}

TEST(TokenBucket, ChangingTheLimitsWithAnOlderTimeCreditsNoTimeTwice) {
  TokenBucket bucket(10, 10, kStart);
  ASSERT_EQ(takes(bucket, 10, 1, kStart), 10);
  ASSERT_TRUE(bucket.try_take(1, kStart + 500ms));  // 5 earned, 4 left
  bucket.set_limits(10, 10, kStart);
  EXPECT_EQ(takes(bucket, 100, 1, kStart + 500ms), 4);
}

TEST(TokenBucket, BecomingLimitedStartsFullAndBecomingUnlimitedAdmitsEverything) {
  TokenBucket bucket;
  bucket.set_limits(5, 2, kStart);
  EXPECT_EQ(takes(bucket, 10, 1, kStart), 2);
  bucket.set_limits(0, 0, kStart);
  EXPECT_EQ(takes(bucket, 10, 1, kStart), 10);
}

TEST(TokenBucket, ExtremeValuesNeitherOverflowNorRefuseForever) {
  TokenBucket bucket(~0ULL, ~0ULL, kStart);
  EXPECT_EQ(bucket.rate(), TokenBucket::kMaxTokens);
  EXPECT_TRUE(bucket.try_take(~0ULL, kStart));
  EXPECT_TRUE(bucket.try_take(1, kStart + std::chrono::hours(24 * 365 * 100)));
  TokenBucket slow(1, 1, kStart);
  EXPECT_TRUE(slow.try_take(~0ULL, kStart));  // full: passes, deep debt
  EXPECT_FALSE(slow.try_take(1, kStart + 1h));
  EXPECT_TRUE(slow.try_take(1, kStart + std::chrono::hours(24 * 365 * 200)));
}

}  // namespace
}  // namespace arkmq::core
