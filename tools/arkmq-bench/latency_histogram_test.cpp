// LatencyHistogram: bucket arithmetic, percentiles against exactly known distributions, merging.
#include "tools/arkmq-bench/latency_histogram.hpp"

#include <gtest/gtest.h>

namespace arkmq::bench {
namespace {

TEST(LatencyHistogram, SmallValuesHaveExactBuckets) {
  for (std::uint64_t v = 0; v < 64; ++v) {
    const auto b = LatencyHistogram::bucket_of(v);
    EXPECT_EQ(LatencyHistogram::bucket_low(b), v);
    EXPECT_EQ(LatencyHistogram::bucket_high(b), v);
  }
}

TEST(LatencyHistogram, EveryValueFallsInsideItsBucketWithinTwoPercent) {
  for (std::uint64_t v : {64ULL, 65ULL, 127ULL, 128ULL, 1000ULL, 123'456ULL, 999'999'999ULL,
                          (1ULL << 40) + 12345, ~0ULL}) {
    const auto b = LatencyHistogram::bucket_of(v);
    ASSERT_LT(b, LatencyHistogram::bucket_count) << v;
    EXPECT_LE(LatencyHistogram::bucket_low(b), v);
    EXPECT_GE(LatencyHistogram::bucket_high(b), v);
    const double width = static_cast<double>(LatencyHistogram::bucket_high(b) - LatencyHistogram::bucket_low(b));
    EXPECT_LE(width / static_cast<double>(v), 0.02) << v;
  }
}

TEST(LatencyHistogram, BucketsAreContiguousAndIncreasing) {
  for (std::size_t b = 1; b < LatencyHistogram::bucket_count; ++b) {
    ASSERT_EQ(LatencyHistogram::bucket_low(b), LatencyHistogram::bucket_high(b - 1) + 1) << b;
  }
}

TEST(LatencyHistogram, EmptyHistogramReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0U);
  EXPECT_EQ(h.percentile(50), 0U);
  EXPECT_EQ(h.max(), 0U);
  EXPECT_EQ(h.min(), 0U);
}

TEST(LatencyHistogram, PercentilesOfAUniformRangeAreWithinBucketPrecision) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 100'000; ++v) h.record(v * 1000);  // 1 us .. 100 ms in ns
  EXPECT_EQ(h.count(), 100'000U);
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), 50'000'000.0, 50'000'000.0 * 0.02);
  EXPECT_NEAR(static_cast<double>(h.percentile(99)), 99'000'000.0, 99'000'000.0 * 0.02);
  EXPECT_NEAR(static_cast<double>(h.percentile(99.9)), 99'900'000.0, 99'900'000.0 * 0.02);
  EXPECT_EQ(h.percentile(100), 100'000'000U);
  EXPECT_EQ(h.max(), 100'000'000U);
  EXPECT_EQ(h.min(), 1000U);
  EXPECT_NEAR(h.mean(), 50'000'500.0, 1.0);
}

TEST(LatencyHistogram, OneOutlierShowsOnlyAtTheTopPercentile) {
  LatencyHistogram h;
  for (int i = 0; i < 999; ++i) h.record(10);
  h.record(5'000'000);
  EXPECT_EQ(h.percentile(50), 10U);
  EXPECT_EQ(h.percentile(99.9), 10U);  // rank 999 of 1000
  EXPECT_EQ(h.percentile(100), 5'000'000U);
}

TEST(LatencyHistogram, PercentileNeverExceedsTheMaximumRecorded) {
  LatencyHistogram h;
  h.record(1'000'001);  // its bucket's upper bound is larger
  EXPECT_EQ(h.percentile(50), 1'000'001U);
}

TEST(LatencyHistogram, MergeAddsCountsAndKeepsExtremes) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 0; i < 10; ++i) a.record(5);
  for (int i = 0; i < 30; ++i) b.record(50);
  b.record(7);
  a.merge(b);
  EXPECT_EQ(a.count(), 41U);
  EXPECT_EQ(a.min(), 5U);
  EXPECT_EQ(a.max(), 50U);
  EXPECT_EQ(a.percentile(24), 5U);   // rank 10 of 41
  EXPECT_EQ(a.percentile(26), 7U);   // rank 11
  EXPECT_EQ(a.percentile(50), 50U);
}

}  // namespace
}  // namespace arkmq::bench
