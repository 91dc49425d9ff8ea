// Latency histogram with fixed log-linear buckets (64 linear steps per power of two, < 1.6 %
// error): recording never allocates. One per subscriber, owned by its io thread; merged at the end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace arkmq::bench {

class LatencyHistogram {
 public:
  static constexpr unsigned sub_bucket_bits = 6;
  static constexpr std::uint64_t sub_buckets = std::uint64_t{1} << sub_bucket_bits;  // 64
  // Values below 64 have a bucket each; above, 64 buckets per power of two up to 2^64.
  static constexpr std::size_t bucket_count = sub_buckets + (64 - sub_bucket_bits) * sub_buckets;

  void record(std::uint64_t value);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const;

  // The smallest recorded bucket's upper bound at or below which `percent` of the values lie
  // (clamped to max()); 0 when empty. percent in (0, 100].
  std::uint64_t percentile(double percent) const;

  // Bucket arithmetic, exposed for tests.
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_low(std::size_t bucket);
  static std::uint64_t bucket_high(std::size_t bucket);

 private:
  std::array<std::uint64_t, bucket_count> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace arkmq::bench
