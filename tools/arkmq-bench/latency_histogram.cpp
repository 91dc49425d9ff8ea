// LatencyHistogram: bucket arithmetic and percentiles.
#include "tools/arkmq-bench/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace arkmq::bench {

std::size_t LatencyHistogram::bucket_of(std::uint64_t value) {
  if (value < sub_buckets) return static_cast<std::size_t>(value);
  const unsigned msb = 63U - static_cast<unsigned>(std::countl_zero(value));
  const unsigned shift = msb - sub_bucket_bits;  // >= 0 because value >= 64
  const std::uint64_t mantissa = value >> shift;  // in [64, 128)
  return static_cast<std::size_t>(sub_buckets + shift * sub_buckets + (mantissa - sub_buckets));
}

std::uint64_t LatencyHistogram::bucket_low(std::size_t bucket) {
  if (bucket < sub_buckets) return bucket;
  const std::uint64_t shift = (bucket - sub_buckets) / sub_buckets;
  const std::uint64_t mantissa = (bucket - sub_buckets) % sub_buckets + sub_buckets;
  return mantissa << shift;
}

std::uint64_t LatencyHistogram::bucket_high(std::size_t bucket) {
  if (bucket < sub_buckets) return bucket;
  const std::uint64_t shift = (bucket - sub_buckets) / sub_buckets;
  return bucket_low(bucket) + ((std::uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(std::uint64_t value) {
  ++buckets_[bucket_of(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < bucket_count; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t LatencyHistogram::percentile(double percent) const {
  if (count_ == 0) return 0;
  // The epsilon keeps 99.9 % of 1000 at rank 999 despite binary floating point.
  const double wanted = std::ceil(percent / 100.0 * static_cast<double>(count_) - 1e-9);
  const std::uint64_t rank = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(wanted), 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(bucket_high(i), max_);
  }
  return max_;
}

}  // namespace arkmq::bench
