// PrometheusText: writes the Prometheus text exposition format (version 0.0.4): HELP and TYPE
// lines, label values escaped, histograms as _bucket/_sum/_count. Plain value type, no I/O.
// Owner: ops-metrics.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace arkmq::http {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
  // A metric family: call once per name, before its samples. type: "counter", "gauge",
  // "histogram".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  // Cumulative histogram: `bounds` are the upper bounds (le), `counts` the number of
  // observations <= each bound (non-cumulative per bucket is converted), plus sum and count.
  void histogram(std::string_view name, const Labels& labels, std::span<const double> bounds,
                 std::span<const std::uint64_t> bucket_counts, double sum, std::uint64_t count);

  const std::string& text() const { return text_; }
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  std::string text_;
};

}  // namespace arkmq::http
