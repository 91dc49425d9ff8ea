// arkmq-edge's configuration (docs/edge.md): the TOML file parsed and validated into plain values.
// Owned by the edge engineer. Built once at startup (or by --check-config); read-only afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace arkmq::edge {

enum class BackendKind { http, tcp, mqtt };

// Where a service's requests go. Lives only at the edge: never announced, never in a reply.
struct BackendUrl {
  BackendKind kind = BackendKind::http;
  std::string host;
  std::uint16_t port = 0;
  std::string path;  // http only: the base path ("/api"); a call to method M posts to /api/M
};

struct ServiceConfig {
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> methods;
  BackendUrl backend;
  std::string mqtt_topic;            // mqtt backends: requests go to <mqtt_topic>/<method>
  std::chrono::milliseconds timeout{10'000};  // upper bound for one backend exchange
  std::string health_path;           // http: GET this path; empty: a TCP connect is the check
  std::chrono::milliseconds health_interval{5'000};
};

enum class BridgeDirection { out, in };  // out: local -> cloud; in: cloud -> local

// `local` and `cloud` are topic filters with the same wildcard tail ("sensors/#" and
// "sites/plant-3/sensors/#"): a topic matching one is mapped to the other by swapping the fixed
// head levels. QoS is kept.
struct BridgeRule {
  BridgeDirection direction = BridgeDirection::out;
  std::string local;
  std::string cloud;
};

struct CloudConfig {
  std::string url;        // Paho form: tcp://host:port or ssl://host:port
  std::string ca;
  std::string cert;       // the node's certificate: its identity at the cloud broker
  std::string key;
  std::string client_id;  // default: the node name
  std::chrono::seconds keep_alive{30};
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{30'000};
};

struct LocalConfig {
  std::string url = "tcp://127.0.0.1:1883";
  std::string client_id;  // default: "arkmq-edge-<node>"
  std::string status_topic = "arkmq-edge/status";
};

struct OutboxConfig {
  std::string path = "arkmq-edge-outbox.db";
  std::int64_t max_messages = 100'000;
  std::int64_t max_bytes = 64 * 1024 * 1024;
};

// [metrics] (docs/edge.md, "Metrics"): the Prometheus /metrics listener. Off by default;
// loopback only unless allow_non_loopback (it has no authentication).
struct MetricsConfig {
  std::string listen;  // "http://127.0.0.1:9101"; empty: off
  bool allow_non_loopback = false;
};

struct EdgeConfig {
  std::string node;
  std::map<std::string, std::string> labels;
  std::chrono::seconds heartbeat{10};
  bool loop_prevention = true;
  int max_hops = 2;     // a message that already crossed this many bridge links is not bridged again
  int call_workers = 4;
  CloudConfig cloud;
  LocalConfig local;
  OutboxConfig outbox;
  MetricsConfig metrics;
  std::vector<ServiceConfig> services;
  std::vector<BridgeRule> bridges;
};

// "FILE:LINE:COL: what" for the first problem found.
using ConfigResult = tl::expected<EdgeConfig, std::string>;

ConfigResult parse_config_text(const std::string& text, const std::string& source_name);
ConfigResult load_config_file(const std::string& path);

// "http://127.0.0.1:8080/api", "tcp://127.0.0.1:9000", "mqtt://127.0.0.1:1883".
tl::expected<BackendUrl, std::string> parse_backend_url(const std::string& url);
// mqtt:// and tcp:// -> tcp://, mqtts:// and ssl:// -> ssl:// (Paho's forms).
tl::expected<std::string, std::string> paho_broker_url(const std::string& url);

// A service, method or node name as docs/protocol.md allows: non-empty, no '/', '+', '#', '*',
// not starting with '$' or '%'.
bool is_valid_name(const std::string& name);

// "config OK: node N, K services, R bridge rules"
std::string config_summary(const EdgeConfig& config);

}  // namespace arkmq::edge
