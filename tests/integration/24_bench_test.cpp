// 24 bench: the real arkmq-bench binary for about a second against the real arkmq-broker and a
// real mosquitto, read back with --json. Checks what a run reports (messages delivered, no QoS 1
// loss, every fan-out copy, a connection rate, memory per idle connection, service calls through
// arkmq's $svc/ layer with users and grants made by arkmqctl, plain MQTT 5 request/response),
// never how fast.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/arkmqctl.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

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

TEST_P(Bench, PlainReqrespAnswersEveryCall) {
  const auto run = bench({"--scenario", "reqresp", "--plain-reqresp", "--clients", "2",
                          "--inflight", "4"});
  ASSERT_EQ(run.code(), 0) << run.command.output;
  EXPECT_EQ(run.summary["mode"], "plain");
  const auto calls = run.summary["calls"].get<std::uint64_t>();
  EXPECT_GT(calls, 0U);
  EXPECT_EQ(run.summary["replies"].get<std::uint64_t>(), calls);
  EXPECT_EQ(run.summary["node_requests"].get<std::uint64_t>(), calls);
  EXPECT_EQ(run.summary["errors"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(run.summary["timeouts"].get<std::uint64_t>(), 0U);
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

TEST(BenchUsage, ReqrespNeedsMqtt5AndANodePrincipal) {
  if (bench_path().empty()) GTEST_SKIP() << "arkmq-bench was not built";
  auto run = run_bench({"--broker", "mqtt://127.0.0.1:1", "--scenario", "reqresp"});
  EXPECT_EQ(run.code(), 2);
  EXPECT_NE(run.command.output.find("node's principal"), std::string::npos) << run.command.output;
  run = run_bench({"--broker", "mqtt://127.0.0.1:1", "--scenario", "reqresp", "--username", "u",
                   "--protocol", "4"});
  EXPECT_EQ(run.code(), 2);
  EXPECT_NE(run.command.output.find("MQTT 5"), std::string::npos) << run.command.output;
}

// reqresp through arkmq's services layer: a broker with a data directory, deny by default, no
// anonymous clients; a node user with a serve grant for `bench`, a caller user with a call grant
// (arkmqctl, as docs/bench.md shows), and one without.
class BenchServices : public ::testing::Test {
 protected:
  void SetUp() override {
    if (bench_path().empty()) GTEST_SKIP() << "arkmq-bench was not built";
    if (arkmq_broker_path().empty()) GTEST_SKIP() << "arkmq-broker was not built";
    if (arkmqctl_path().empty()) GTEST_SKIP() << "arkmqctl was not built";
    if (broker_kind_from_env() == BrokerKind::mosquitto) {
      GTEST_SKIP() << "arkmq-only: service calls need arkmq's $svc/ layer and grants";
    }
    // The store is made before the broker starts, as docs/bench.md does it: no reload to wait for.
    const std::string data_dir = dir_.file("data");
    std::filesystem::create_directories(data_dir);
    for (const std::vector<std::string>& change : std::vector<std::vector<std::string>>{
             {"user", "add", "bench-node", "--password", "node-secret"},
             {"user", "add", "bench-caller", "--password", "caller-secret"},
             {"user", "add", "bench-stranger", "--password", "stranger-secret"},
             {"service", "grant", "--node", "bench-node", "--service", "bench"},
             {"service", "grant", "--user", "bench-caller", "--service", "bench"}}) {
      const ArkmqctlResult result = run_arkmqctl(data_dir, change);
      ASSERT_TRUE(result.ok()) << result.describe();
    }
    BrokerOptions options;
    options.data_dir_path = data_dir;
    options.allow_anonymous = false;
    options.acl_default = "deny";
    options.log_level = "warn";
    options.arkmq_config = "[flow_control]\nmax_connections_per_window = 0\n";
    broker_ = std::make_unique<BrokerProcess>(options);
    write_file(node_password_file_, "node-secret\n");
  }

  BenchRun bench(const std::string& caller, const std::string& password) {
    auto run = run_bench({"--broker", "mqtt://127.0.0.1:" + std::to_string(broker_->port()),
                          "--scenario", "reqresp", "--clients", "2", "--inflight", "4",
                          "--duration", "1", "--threads", "2", "--json", "--username", caller,
                          "--password", password, "--node-username", "bench-node",
                          "--node-password-file", node_password_file_});
    EXPECT_FALSE(run.command.timed_out);
    EXPECT_TRUE(run.summary.is_object()) << run.command.output;
    return run;
  }

  TempDir dir_{"arkmq-bench-svc"};
  std::string node_password_file_ = dir_.file("node.pw");
  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(BenchServices, GrantedCallersCompleteServiceCallsWithoutErrors) {
  const auto run = bench("bench-caller", "caller-secret");
  ASSERT_EQ(run.code(), 0) << run.command.output;
  const auto& j = run.summary;
  EXPECT_EQ(j["scenario"], "reqresp");
  EXPECT_EQ(j["mode"], "services");
  EXPECT_EQ(j["protocol"], 5);
  EXPECT_EQ(j["inflight"], 4);
  const auto calls = j["calls"].get<std::uint64_t>();
  EXPECT_GT(calls, 0U);
  EXPECT_EQ(j["replies"].get<std::uint64_t>(), calls);
  EXPECT_EQ(j["node_requests"].get<std::uint64_t>(), calls) << "every call reached the node";
  EXPECT_EQ(j["errors"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(j["timeouts"].get<std::uint64_t>(), 0U);
  EXPECT_TRUE(j["statuses"].is_object() && j["statuses"].empty()) << j.dump();
  EXPECT_GT(j["calls_per_s"].get<double>(), 0.0);
  EXPECT_EQ(j["calls_per_s"], j["delivered_per_s"]);
  ASSERT_TRUE(j["latency_us"].is_object()) << j.dump();
  for (const char* key : {"p50", "p99", "p999", "max", "mean", "count"}) {
    EXPECT_TRUE(j["latency_us"].contains(key)) << key;
  }
  EXPECT_GE(j["latency_us"]["p99"].get<double>(), j["latency_us"]["p50"].get<double>());
}

TEST_F(BenchServices, CallerWithoutAGrantIsReportedAsDeniedErrors) {
  const auto run = bench("bench-stranger", "stranger-secret");
  EXPECT_EQ(run.code(), 1) << run.command.output;
  const auto& j = run.summary;
  EXPECT_GT(j["errors"].get<std::uint64_t>(), 0U);
  EXPECT_GT(j["statuses"].value("denied", std::uint64_t{0}), 0U) << j.dump();
  EXPECT_EQ(j["node_requests"].get<std::uint64_t>(), 0U) << "a denied call reached the node";
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
