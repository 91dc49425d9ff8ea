// Reconnect backoff: exponential ceiling, bounded by the maximum, jittered within [c/2, c].
#include "edge-client/backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace arkmq::edge {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, CeilingDoublesUpToTheMaximum) {
  Backoff backoff(100ms, 3000ms, 1);
  EXPECT_EQ(backoff.ceiling(0), 100ms);
  EXPECT_EQ(backoff.ceiling(1), 200ms);
  EXPECT_EQ(backoff.ceiling(4), 1600ms);
  EXPECT_EQ(backoff.ceiling(5), 3000ms);
  EXPECT_EQ(backoff.ceiling(1000), 3000ms);
}

TEST(Backoff, EveryDelayIsBetweenHalfTheCeilingAndTheCeiling) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Backoff backoff(100ms, 3000ms, seed);
    for (int attempt = 0; attempt < 20; ++attempt) {
      const auto cap = backoff.ceiling(attempt);
      const auto delay = backoff.next();
      EXPECT_GE(delay, cap / 2);
      EXPECT_LE(delay, cap);
      EXPECT_LE(delay, 3000ms);
    }
  }
}

TEST(Backoff, DelaysAreJitteredAcrossNodes) {
  std::set<long> firsts;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Backoff backoff(1000ms, 30'000ms, seed);
    for (int i = 0; i < 5; ++i) backoff.next();
    firsts.insert(static_cast<long>(backoff.next().count()));
  }
  EXPECT_GT(firsts.size(), 10U);  // 20 nodes do not all pick the same delay
}

TEST(Backoff, ResetStartsAgainFromTheMinimum) {
  Backoff backoff(100ms, 3000ms, 7);
  for (int i = 0; i < 10; ++i) backoff.next();
  backoff.reset();
  EXPECT_LE(backoff.next(), 100ms);
}

}  // namespace
}  // namespace arkmq::edge
