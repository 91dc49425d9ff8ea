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
  std::string password_file;  // --password from the first line of a file
  // idle: loopback source addresses to spread connections over (127.0.0.2, ...); 0: one per
  // connections_per_source when the broker is on 127.x and more than one is needed.
  unsigned sources = 0;

  // reqresp: the node's identity (its principal N names the $svc/ topics), the callers' window,
  // the call deadline, and the plain MQTT 5 request/response mode for brokers without services.
  unsigned inflight = 1;      // calls outstanding per caller
  double call_timeout_s = 5;  // a call without a reply by then is a timeout (svc-timeout-ms too)
  bool plain_reqresp = false; // ordinary topics instead of $svc/ (any MQTT 5 broker)
  std::optional<std::string> node_username;
  std::optional<std::string> node_password;
  std::string node_password_file;
  std::string node_cert;      // TLS client certificate of the node (its principal: --node-name)
  std::string node_key;
  std::string node_name;      // the node's principal N; default: --node-username, else --username
};

// The service and method every reqresp run calls.
inline constexpr const char* reqresp_service = "bench";
inline constexpr const char* reqresp_method = "echo";

struct UsageError {
  int exit_code = 2;  // 0 for --help
  std::string text;   // one line (the help text for --help)
};

tl::expected<BenchOptions, UsageError> parse_options(const std::vector<std::string>& args);

}  // namespace arkmq::bench
