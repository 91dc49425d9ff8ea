// parse_options / parse_broker_url: accepted command lines and the one-line usage errors.
#include "tools/arkmq-bench/bench_options.hpp"

#include <gtest/gtest.h>

namespace arkmq::bench {
namespace {

tl::expected<BenchOptions, UsageError> parse(std::vector<std::string> extra) {
  std::vector<std::string> args{"--broker", "mqtt://127.0.0.1:1883", "--scenario", "pairs"};
  args.insert(args.end(), extra.begin(), extra.end());
  return parse_options(args);
}

// The usage error's text for a command line that must be refused with exit code 2.
std::string refusal(const std::vector<std::string>& args) {
  const auto result = parse_options(args);
  if (result) return "<accepted>";
  EXPECT_EQ(result.error().exit_code, 2);
  EXPECT_EQ(result.error().text.find('\n'), std::string::npos) << result.error().text;
  return result.error().text;
}

std::string refusal_with(std::vector<std::string> extra) {
  std::vector<std::string> args{"--broker", "mqtt://127.0.0.1:1883", "--scenario", "pairs"};
  args.insert(args.end(), extra.begin(), extra.end());
  return refusal(args);
}

TEST(BrokerUrl, MqttDefaultsToPort1883AndMqttsTo8883) {
  EXPECT_EQ(parse_broker_url("mqtt://localhost")->port, 1883);
  EXPECT_FALSE(parse_broker_url("mqtt://localhost")->tls);
  EXPECT_EQ(parse_broker_url("mqtts://broker.example")->port, 8883);
  EXPECT_TRUE(parse_broker_url("mqtts://broker.example")->tls);
  EXPECT_EQ(parse_broker_url("tcp://h:1")->port, 1);
  EXPECT_TRUE(parse_broker_url("ssl://h:2")->tls);
}

TEST(BrokerUrl, HostAndPortAreSplitIncludingBracketedIpv6) {
  const auto url = parse_broker_url("mqtt://127.0.0.1:18830/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 18830);
  const auto v6 = parse_broker_url("mqtts://[::1]:8884");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8884);
}

TEST(BrokerUrl, MalformedUrlsAreRefused) {
  for (const char* bad : {"127.0.0.1:1883", "http://h", "mqtt://", "mqtt://h:", "mqtt://h:0",
                          "mqtt://h:65536", "mqtt://h:12x", "mqtt://h/topic", "mqtt://[::1"}) {
    EXPECT_FALSE(parse_broker_url(bad)) << bad;
  }
}

TEST(BenchOptions, DefaultsAreOneClientQos0Of64Bytes) {
  const auto o = parse({});
  ASSERT_TRUE(o) << o.error().text;
  EXPECT_EQ(o->scenario, Scenario::pairs);
  EXPECT_EQ(o->clients, 1U);
  EXPECT_EQ(o->qos, 0);
  EXPECT_EQ(o->size, 64U);
  EXPECT_EQ(o->protocol, 4);
  EXPECT_EQ(o->rate, 0.0);
  EXPECT_FALSE(o->json);
}

TEST(BenchOptions, EveryOptionIsRead) {
  const auto o = parse_options({"--broker", "mqtts://h:8884", "--scenario", "fanout", "--clients",
                                "50", "--qos", "1", "--size", "256", "--rate", "100", "--duration",
                                "2.5", "--warmup", "1", "--json", "--protocol", "5", "--username",
                                "u", "--password", "p", "--cafile", "ca.pem", "--cert", "c.pem",
                                "--key", "k.pem", "--threads", "3", "--window", "16",
                                "--broker-pid", "42"});
  ASSERT_TRUE(o) << o.error().text;
  EXPECT_EQ(o->scenario, Scenario::fanout);
  EXPECT_EQ(o->clients, 50U);
  EXPECT_EQ(o->qos, 1);
  EXPECT_EQ(o->size, 256U);
  EXPECT_EQ(o->rate, 100.0);
  EXPECT_EQ(o->duration_s, 2.5);
  EXPECT_EQ(o->warmup_s, 1.0);
  EXPECT_TRUE(o->json);
  EXPECT_EQ(o->protocol, 5);
  EXPECT_EQ(o->username, "u");
  EXPECT_EQ(o->password, "p");
  EXPECT_EQ(o->cafile, "ca.pem");
  EXPECT_EQ(o->cert, "c.pem");
  EXPECT_EQ(o->key, "k.pem");
  EXPECT_EQ(o->threads, 3U);
  EXPECT_EQ(o->window, 16U);
  EXPECT_EQ(o->broker_pid, 42);
}

TEST(BenchOptions, LatencyScenarioIsOnePairAtADefaultRate) {
  const auto o = parse_options({"--broker", "mqtt://h", "--scenario", "latency", "--clients", "8"});
  ASSERT_TRUE(o) << o.error().text;
  EXPECT_EQ(o->clients, 1U);
  EXPECT_EQ(o->rate, 1000.0);
}

TEST(BenchOptions, UsageErrorsAreOneLineWithExitCode2) {
  EXPECT_NE(refusal({"--scenario", "pairs"}).find("--broker"), std::string::npos);
  EXPECT_NE(refusal({"--broker", "mqtt://h"}).find("--scenario"), std::string::npos);
  EXPECT_NE(refusal({"--broker", "bogus", "--scenario", "pairs"}).find("--broker URL"), std::string::npos);
  EXPECT_NE(refusal({"--broker", "mqtt://h", "--scenario", "storm"}).find("--scenario"), std::string::npos);
  EXPECT_NE(refusal_with({"--size", "15"}).find("--size"), std::string::npos);
  EXPECT_NE(refusal_with({"--clients", "0"}).find("--clients"), std::string::npos);
  EXPECT_NE(refusal_with({"--qos", "2"}).find("--qos"), std::string::npos);
  EXPECT_NE(refusal_with({"--protocol", "3"}).find("--protocol"), std::string::npos);
  EXPECT_NE(refusal_with({"--duration", "0"}).find("--duration"), std::string::npos);
  EXPECT_NE(refusal_with({"--warmup", "-1"}).find("--warmup"), std::string::npos);
  EXPECT_NE(refusal_with({"--rate", "-5"}).find("--rate"), std::string::npos);
  EXPECT_NE(refusal_with({"--window", "0"}).find("--window"), std::string::npos);
  EXPECT_NE(refusal_with({"--clients", "many"}).find("--clients"), std::string::npos);
  EXPECT_NE(refusal_with({"--bogus"}).find("bogus"), std::string::npos);
  EXPECT_NE(refusal_with({"--cafile", "ca.pem"}).find("mqtts://"), std::string::npos);
  EXPECT_NE(refusal_with({"--password", "p"}).find("--username"), std::string::npos);
  EXPECT_NE(refusal({"--broker", "mqtts://h", "--scenario", "pairs", "--cert", "c.pem"}).find("--key"),
            std::string::npos);
  EXPECT_NE(refusal({"--broker", "mqtt://h", "--scenario", "latency", "--rate", "0"}).find("--rate"),
            std::string::npos);
}

TEST(BenchOptions, SourcesSpreadIdleConnectionsOnly) {
  const auto o = parse_options({"--broker", "mqtt://127.0.0.1", "--scenario", "idle", "--clients",
                                "50000", "--sources", "3"});
  ASSERT_TRUE(o) << o.error().text;
  EXPECT_EQ(o->sources, 3U);
  EXPECT_EQ(parse_options({"--broker", "mqtt://h", "--scenario", "idle"})->sources, 0U);
  EXPECT_NE(refusal_with({"--sources", "2"}).find("idle"), std::string::npos);
  EXPECT_NE(refusal({"--broker", "mqtt://h", "--scenario", "idle", "--sources", "251"})
                .find("--sources"),
            std::string::npos);
}

TEST(BenchOptions, HelpIsExitCode0WithTheOptionList) {
  const auto result = parse_options({"--help"});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().exit_code, 0);
  EXPECT_NE(result.error().text.find("--scenario"), std::string::npos);
}

}  // namespace
}  // namespace arkmq::bench
