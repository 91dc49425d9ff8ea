// render_metrics over a real core::Broker: every line parses, and the values are the sources'.
#include "broker/app/metrics_render.hpp"

#include <cmath>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "broker/core/default_policy.hpp"

namespace arkmq::app {
namespace {

// A sample line: name{labels} value (label values may contain escaped quotes).
const std::regex kSample(
    R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (NaN|[+-]Inf|-?[0-9.]+(e[+-]?[0-9]+)?)$)");

// The value of the sample line that starts with `prefix` followed by a space; NaN if absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return std::nan("");
}

class MetricsRender : public ::testing::Test {
 protected:
  core::Broker broker_{core::BrokerConfig{}, std::make_shared<core::DefaultAuthenticator>(true),
                       std::make_shared<core::DefaultAuthorizer>(core::AclDefault::allow)};
  Metrics metrics_;
};

TEST_F(MetricsRender, EveryLineIsAHelpATypeOrASample) {
  const auto tcp = [] {
    core::ConnectionInfo info;
    info.listener = "mqtt://127.0.0.1:1883";
    return info;
  }();
  metrics_.connection_accepted(tcp);
  core::ServiceCallFacts call;
  call.service = "pl\"c";
  call.status = "ok";
  call.node = "n";
  call.latency = std::chrono::milliseconds(2);
  metrics_.service_call({"a", "", &tcp}, call);
  const std::string text = render_metrics({&broker_, &metrics_, nullptr, nullptr});
  std::istringstream lines(text);
  int samples = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(std::regex_match(line, kSample)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 40);
  EXPECT_EQ(sample(text, R"(arkmq_listener_connections_accepted_total{listener="mqtt://127.0.0.1:1883"})"), 1);
  EXPECT_EQ(sample(text, R"(arkmq_service_calls_total{service="pl\"c",status="ok"})"), 1);
  EXPECT_EQ(sample(text, R"(arkmq_service_call_duration_seconds_bucket{service="pl\"c",le="0.001"})"), 0);
  EXPECT_EQ(sample(text, R"(arkmq_service_call_duration_seconds_bucket{service="pl\"c",le="0.0025"})"), 1);
  EXPECT_EQ(sample(text, R"(arkmq_service_call_duration_seconds_count{service="pl\"c"})"), 1);
}

TEST_F(MetricsRender, ReadsTheBrokerAndLeavesOutWhatIsOff) {
  metrics_.denied({"a", "", nullptr}, core::DeniedAction::subscribe, "x", nullptr);
  metrics_.quota_hit({"a", "", nullptr}, core::QuotaKind::subscriptions, "");
  metrics_.set_loop_lag_source(
      [] { return std::vector<std::chrono::microseconds>{std::chrono::microseconds(1500)}; });
  const std::string text = render_metrics({&broker_, &metrics_, nullptr, nullptr});
  EXPECT_EQ(sample(text, "arkmq_clients_connected"), 0);
  EXPECT_EQ(sample(text, "arkmq_messages_received_total"), 0);
  EXPECT_EQ(sample(text, "arkmq_edge_nodes_online"), 0);
  EXPECT_EQ(sample(text, R"(arkmq_acl_denials_total{action="subscribe"})"), 1);
  EXPECT_EQ(sample(text, R"(arkmq_quota_hits_total{kind="subscriptions"})"), 1);
  EXPECT_EQ(sample(text, R"(arkmq_flow_control_total{event="rate_exceeded"})"), 0);
  EXPECT_EQ(sample(text, R"(arkmq_worker_loop_lag_seconds{worker="0"})"), 0.0015);
  EXPECT_EQ(sample(text, "arkmq_memory_budget_bytes"), 0);
  EXPECT_EQ(text.find("arkmq_audit_"), std::string::npos);
  EXPECT_EQ(text.find("arkmq_banned_addresses"), std::string::npos);
}

TEST_F(MetricsRender, NamesEachFamilyOnce) {
  const std::string text = render_metrics({&broker_, &metrics_, nullptr, nullptr});
  std::istringstream lines(text);
  std::set<std::string> seen;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_TRUE(name.starts_with("arkmq_")) << name;
  }
}

}  // namespace
}  // namespace arkmq::app
