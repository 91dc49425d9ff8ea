// The command line of arkmq-bench: parsed and validated once at startup (main thread), then read
// by every scenario. Usage errors come back as one line and exit code 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace arkmq::bench {

enum class Scenario { pairs, fanin, fanout, latency, connect, idle, reqresp };

const char* to_string(Scenario scenario);

struct BrokerUrl {
  bool tls = false;  // mqtts:// (or ssl://)
  std::string host;
  std::uint16_t port = 0;
};

// mqtt://host[:port], mqtts://host[:port]; tcp:// and ssl:// as Paho spells them.
tl::expected<BrokerUrl, std::string> parse_broker_url(const std::string& text);

struct BenchOptions {
  std::string broker_text;
  BrokerUrl broker;
  Scenario scenario = Scenario::pairs;
  unsigned clients = 1;
  int qos = 0;
  std::size_t size = 64;      // payload bytes, >= 16 (the stamp)
  double rate = 0;            // messages/s per publisher; 0: as fast as the broker takes them
  double duration_s = 10;
  double warmup_s = 0;
  bool json = false;
  int protocol = 4;           // 4: MQTT 3.1.1, 5: MQTT 5.0
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string cafile;
  std::string cert;
  std::string key;
  bool insecure = false;      // TLS without certificate verification
  unsigned threads = 0;       // io threads; 0: one per core
  unsigned window = 64;       // QoS 1 publishes in flight per publisher
  int broker_pid = 0;         // idle: the broker whose VmRSS is measured
  std::string topic_prefix = "arkmq-bench";
};

struct UsageError {
  int exit_code = 2;  // 0 for --help
  std::string text;   // one line (the help text for --help)
};

tl::expected<BenchOptions, UsageError> parse_options(const std::vector<std::string>& args);

}  // namespace arkmq::bench
