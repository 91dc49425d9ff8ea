// PrometheusText: exact exposition output.
#include "broker/http/prometheus_text.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace arkmq::http {
namespace {

TEST(PrometheusText, WritesHelpTypeAndSamples) {
  PrometheusText text;
  text.family("arkmq_up", "gauge", "Whether the broker is up.");
  text.sample("arkmq_up", {}, 1);
  text.sample("arkmq_up", {{"listener", "mqtt://127.0.0.1:1883"}, {"x", "y"}}, 0.25);
  EXPECT_EQ(text.text(),
            "# HELP arkmq_up Whether the broker is up.\n"
            "# TYPE arkmq_up gauge\n"
            "arkmq_up 1\n"
            "arkmq_up{listener=\"mqtt://127.0.0.1:1883\",x=\"y\"} 0.25\n");
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  PrometheusText text;
  text.family("m", "counter", "a \\ b\nc \"q\"");
  text.sample("m", {{"v", "back\\slash \"quoted\"\nnext"}}, 3);
  EXPECT_EQ(text.text(),
            "# HELP m a \\\\ b\\nc \"q\"\n"
            "# TYPE m counter\n"
            "m{v=\"back\\\\slash \\\"quoted\\\"\\nnext\"} 3\n");
}

TEST(PrometheusText, SpellsSpecialValuesAsPrometheusDoes) {
  PrometheusText text;
  text.sample("a", {}, std::numeric_limits<double>::infinity());
  text.sample("b", {}, -std::numeric_limits<double>::infinity());
  text.sample("c", {}, std::nan(""));
  text.sample("d", {}, 18446744073709551615.0);
  text.sample("e", {}, 1e22);
  text.sample("f", {}, 0.1);
  EXPECT_EQ(text.text(), "a +Inf\nb -Inf\nc NaN\nd 18446744073709551616\ne 1e+22\nf 0.1\n");
}

TEST(PrometheusText, WritesHistogramsWithCumulativeBucketsSumAndCount) {
  PrometheusText text;
  const double bounds[] = {0.001, 0.01, 1};
  const std::uint64_t counts[] = {2, 0, 3};
  text.histogram("lat_seconds", {{"service", "s"}}, bounds, counts, 1.5, 7);
  EXPECT_EQ(text.text(),
            "lat_seconds_bucket{service=\"s\",le=\"0.001\"} 2\n"
            "lat_seconds_bucket{service=\"s\",le=\"0.01\"} 2\n"
            "lat_seconds_bucket{service=\"s\",le=\"1\"} 5\n"
            "lat_seconds_bucket{service=\"s\",le=\"+Inf\"} 7\n"
            "lat_seconds_sum{service=\"s\"} 1.5\n"
            "lat_seconds_count{service=\"s\"} 7\n");
}

TEST(PrometheusText, WritesAHistogramWithoutLabels) {
  PrometheusText text;
  const double bounds[] = {1};
  const std::uint64_t counts[] = {1};
  text.histogram("h", {}, bounds, counts, 0.5, 1);
  EXPECT_EQ(text.text(),
            "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.5\nh_count 1\n");
}

}  // namespace
}  // namespace arkmq::http
