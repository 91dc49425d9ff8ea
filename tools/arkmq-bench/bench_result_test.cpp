// BenchResult: exit codes and the JSON fields every scenario reports.
#include "tools/arkmq-bench/bench_result.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace arkmq::bench {
namespace {

BenchResult result_of(Scenario scenario, int qos) {
  BenchOptions o;
  o.scenario = scenario;
  o.qos = qos;
  o.clients = 3;
  o.duration_s = 2;
  return result_for(o, 2);
}

TEST(BenchResult, CleanRunExitsZero) {
  EXPECT_EQ(exit_code(result_of(Scenario::pairs, 1)), 0);
}

TEST(BenchResult, AnyErrorExitsOne) {
  auto r = result_of(Scenario::connect, 0);
  r.errors = 1;
  EXPECT_EQ(exit_code(r), 1);
}

TEST(BenchResult, LossExitsOneOnlyAtQos1) {
  auto qos0 = result_of(Scenario::pairs, 0);
  qos0.lost = 10;
  EXPECT_EQ(exit_code(qos0), 0);
  auto qos1 = result_of(Scenario::pairs, 1);
  qos1.lost = 1;
  EXPECT_EQ(exit_code(qos1), 1);
}

TEST(BenchResult, JsonHasTheSummaryFieldsAndLatencyInMicroseconds) {
  auto r = result_of(Scenario::fanout, 1);
  r.sent = 10;
  r.delivered = 30;
  r.delivered_per_s = 15;
  r.latency_ns = std::make_unique<LatencyHistogram>();
  r.latency_ns->record(2000);
  const auto j = nlohmann::json::parse(format_json(r));
  for (const char* key : {"scenario", "clients", "qos", "size", "duration_s", "sent", "delivered",
                          "delivered_per_s", "latency_us", "errors", "lost", "duplicates"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["scenario"], "fanout");
  EXPECT_EQ(j["clients"], 3);
  EXPECT_EQ(j["delivered"], 30);
  EXPECT_DOUBLE_EQ(j["latency_us"]["p50"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["latency_us"]["max"].get<double>(), 2.0);
  EXPECT_TRUE(j["latency_us"].contains("p999"));
  EXPECT_FALSE(j.contains("connections_per_s"));
}

TEST(BenchResult, ConnectJsonHasTheConnectionRate) {
  auto r = result_of(Scenario::connect, 0);
  r.connections = 100;
  r.connections_per_s = 50;
  const auto j = nlohmann::json::parse(format_json(r));
  EXPECT_DOUBLE_EQ(j["connections_per_s"].get<double>(), 50.0);
  EXPECT_TRUE(j["latency_us"].is_null());
}

TEST(BenchResult, IdleJsonHasBytesPerConnectionOrNull) {
  auto r = result_of(Scenario::idle, 0);
  EXPECT_TRUE(nlohmann::json::parse(format_json(r))["bytes_per_connection"].is_null());
  r.bytes_per_connection = 4096;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(format_json(r))["bytes_per_connection"].get<double>(), 4096.0);
}

}  // namespace
}  // namespace arkmq::bench
