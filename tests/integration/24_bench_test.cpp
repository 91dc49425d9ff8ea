// 24 bench: the real arkmq-bench binary for about a second against the real arkmq-broker and a
// real mosquitto, read back with --json. Checks what a run reports (messages delivered, no QoS 1
// loss, every fan-out copy, a connection rate, memory per idle connection), never how fast.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/broker_process.hpp"
#include "tests/support/run_command.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

std::string bench_path() { return ARKMQ_BENCH_BINARY; }

// BrokerProcess picks its kind from ARKMQ_TEST_BROKER; this test wants both kinds in one run, so
// the variable is set around the constructor and restored after.
std::unique_ptr<BrokerProcess> start_broker_of_kind(BrokerKind kind) {
  const char* old = std::getenv("ARKMQ_TEST_BROKER");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("ARKMQ_TEST_BROKER", kind == BrokerKind::mosquitto ? "mosquitto" : "arkmq", 1);
  BrokerOptions options;
  options.log_level = "warn";  // a load test at debug level would mostly test logging
  // arkmq bans an address after 100 connections in 10 s by default, loopback included.
  options.arkmq_config = "[flow_control]\nmax_connections_per_window = 0\n";
  std::unique_ptr<BrokerProcess> broker;
  try {
    broker = std::make_unique<BrokerProcess>(options);
  } catch (...) {
    saved ? ::setenv("ARKMQ_TEST_BROKER", saved->c_str(), 1) : ::unsetenv("ARKMQ_TEST_BROKER");
    throw;
  }
  saved ? ::setenv("ARKMQ_TEST_BROKER", saved->c_str(), 1) : ::unsetenv("ARKMQ_TEST_BROKER");
  return broker;
}

struct BenchRun {
  CommandResult command;
  nlohmann::json summary;  // the --json object (discarded when absent)
  int code() const { return command.status.exited ? command.status.code : -1; }
};

// Runs arkmq-bench with --json; the summary is the last line of output that parses as an object
// (the progress lines on stderr share the output).
BenchRun run_bench(const std::vector<std::string>& args) {
  std::vector<std::string> argv{bench_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  BenchRun run;
  run.command = run_command(argv, 60s);
  std::istringstream lines(run.command.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() != '{') continue;
    auto value = nlohmann::json::parse(line, nullptr, false);
    if (!value.is_discarded() && value.is_object()) run.summary = value;
  }
  return run;
}

class Bench : public ::testing::TestWithParam<BrokerKind> {
 protected:
  void SetUp() override {
    if (bench_path().empty()) GTEST_SKIP() << "arkmq-bench was not built";
    if (GetParam() == BrokerKind::arkmq && arkmq_broker_path().empty()) {
      GTEST_SKIP() << "arkmq-broker was not built";
    }
    broker_ = start_broker_of_kind(GetParam());
  }

  // arkmq-bench against this test's broker, for one measured second, with --json.
  BenchRun bench(std::vector<std::string> args) {
    std::vector<std::string> all{"--broker", "mqtt://127.0.0.1:" + std::to_string(broker_->port()),
                                 "--duration", "1", "--threads", "2", "--json"};
    all.insert(all.end(), args.begin(), args.end());
    auto run = run_bench(all);
    EXPECT_FALSE(run.command.timed_out);
    EXPECT_TRUE(run.summary.is_object()) << run.command.output;
    return run;
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_P(Bench, PairsAtQos0DeliverMessages) {
  const auto run = bench({"--scenario", "pairs", "--clients", "2", "--qos", "0", "--rate", "500"});
  ASSERT_EQ(run.code(), 0) << run.command.output;
  EXPECT_EQ(run.summary["scenario"], "pairs");
  EXPECT_GT(run.summary["sent"].get<std::uint64_t>(), 0U);
  EXPECT_GT(run.summary["delivered"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(run.summary["errors"].get<std::uint64_t>(), 0U);
  ASSERT_TRUE(run.summary["latency_us"].is_object()) << run.command.output;
  EXPECT_GE(run.summary["latency_us"]["p99"].get<double>(), run.summary["latency_us"]["p50"].get<double>());
}

TEST_P(Bench, PairsAtQos1LoseNothing) {
  const auto run = bench({"--scenario", "pairs", "--clients", "2", "--qos", "1", "--rate", "500"});
  ASSERT_EQ(run.code(), 0) << run.command.output;
  EXPECT_GT(run.summary["delivered"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(run.summary["lost"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(run.summary["delivered"], run.summary["sent"]);
}

TEST_P(Bench, PairsAtQos1OverMqtt5LoseNothing) {
  const auto run = bench({"--scenario", "pairs", "--clients", "2", "--qos", "1", "--rate", "500",
                          "--protocol", "5"});
  ASSERT_EQ(run.code(), 0) << run.command.output;
  EXPECT_GT(run.summary["delivered"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(run.summary["lost"].get<std::uint64_t>(), 0U);
}

TEST_P(Bench, FanoutAtQos1DeliversEveryMessageToEverySubscriber) {
  const auto run = bench({"--scenario", "fanout", "--clients", "5", "--qos", "1", "--rate", "200"});
  ASSERT_EQ(run.code(), 0) << run.command.output;
  const auto sent = run.summary["sent"].get<std::uint64_t>();
  EXPECT_GT(sent, 0U);
  EXPECT_EQ(run.summary["delivered"].get<std::uint64_t>(), sent * 5);
  EXPECT_EQ(run.summary["lost"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(run.summary["duplicates"].get<std::uint64_t>(), 0U);
}

TEST_P(Bench, FaninThroughAWildcardHearsEveryPublisher) {
  const auto run = bench({"--scenario", "fanin", "--clients", "3", "--qos", "1", "--rate", "200"});
  ASSERT_EQ(run.code(), 0) << run.command.output;
  EXPECT_GT(run.summary["delivered"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(run.summary["delivered"], run.summary["sent"]);
}

TEST_P(Bench, ConnectReportsAConnectionRate) {
  const auto run = bench({"--scenario", "connect", "--clients", "2"});
  ASSERT_EQ(run.code(), 0) << run.command.output;
  EXPECT_GT(run.summary["connections_per_s"].get<double>(), 0.0);
  EXPECT_EQ(run.summary["errors"].get<std::uint64_t>(), 0U);
}

TEST_P(Bench, IdleReportsBrokerMemoryPerConnectionGivenItsPid) {
  const auto run = bench({"--scenario", "idle", "--clients", "20", "--broker-pid",
                          std::to_string(broker_->pid())});
  ASSERT_EQ(run.code(), 0) << run.command.output;
  EXPECT_EQ(run.summary["connections_open"].get<unsigned>(), 20U);
  EXPECT_TRUE(run.summary["bytes_per_connection"].is_number()) << run.summary.dump();
  EXPECT_GT(run.summary["broker_rss_before"].get<std::uint64_t>(), 0U);
}

INSTANTIATE_TEST_SUITE_P(BothBrokers, Bench,
                         ::testing::Values(BrokerKind::arkmq, BrokerKind::mosquitto),
                         [](const ::testing::TestParamInfo<BrokerKind>& param_info) {
                           return param_info.param == BrokerKind::arkmq ? "arkmq" : "mosquitto";
                         });

TEST(BenchUsage, BadOptionsExitWith2AndOneLine) {
  if (bench_path().empty()) GTEST_SKIP() << "arkmq-bench was not built";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--broker", "mqtt://127.0.0.1:1", "--scenario", "pairs", "--size", "8"},
        std::vector<std::string>{"--broker", "localhost", "--scenario", "pairs"},
        std::vector<std::string>{"--broker", "mqtt://127.0.0.1:1", "--scenario", "pairs", "--clients", "0"}}) {
    const auto run = run_bench(args);
    EXPECT_EQ(run.code(), 2) << run.command.output;
    EXPECT_EQ(std::count(run.command.output.begin(), run.command.output.end(), '\n'), 1)
        << run.command.output;
  }
}

TEST(BenchUsage, ReqrespSaysItNeedsTheServicesLayer) {
  if (bench_path().empty()) GTEST_SKIP() << "arkmq-bench was not built";
  const auto run = run_bench({"--broker", "mqtt://127.0.0.1:1", "--scenario", "reqresp"});
  EXPECT_EQ(run.code(), 2);
  EXPECT_NE(run.command.output.find("services layer"), std::string::npos) << run.command.output;
}

TEST(BenchUsage, UnreachableBrokerIsAnErrorExit1) {
  if (bench_path().empty()) GTEST_SKIP() << "arkmq-bench was not built";
  const auto port = pick_free_port();  // nothing listens there
  const auto run = run_bench({"--broker", "mqtt://127.0.0.1:" + std::to_string(port), "--scenario",
                              "pairs", "--duration", "1", "--json"});
  EXPECT_EQ(run.code(), 1) << run.command.output;
  ASSERT_TRUE(run.summary.is_object()) << run.command.output;
  EXPECT_GT(run.summary["errors"].get<std::uint64_t>(), 0U);
}

}  // namespace
}  // namespace arkmq::test
