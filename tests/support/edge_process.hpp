// Edge-site processes for the services system tests: a Mosquitto as the site broker (plain MQTT on
// its own loopback port) and arkmq-edge from the fresh build. Owned by one test thread (svc-system).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::test {

// Path of the arkmq-edge binary, or "" when it was not built with the tests.
std::string arkmq_edge_path();

// The edge site's own broker: mosquitto on a free loopback port, anonymous, no persistence.
class SiteBroker {
 public:
  SiteBroker();  // starts and waits (10 s) until a CONNECT is answered; throws otherwise
  ~SiteBroker();
  SiteBroker(const SiteBroker&) = delete;
  SiteBroker& operator=(const SiteBroker&) = delete;

  std::uint16_t port() const { return port_; }
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }        // Paho
  std::string mqtt_url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }  // edge

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
};

// What goes into one arkmq-edge config file (docs/edge.md, "Configuration").
struct EdgeSpec {
  std::string node;          // [node] name: the certificate's CN
  CertKey cert;              // the node's identity at the cloud
  std::string ca;            // trusted CA of the cloud's server certificate
  std::string cloud_url;     // mqtts://127.0.0.1:PORT
  std::string local_url;     // the site broker
  std::string outbox;        // outbox file
  std::string services;      // [[service]] tables
  std::string bridges;       // [[bridge]] tables
  int heartbeat_s = 10;
};
std::string edge_config(const EdgeSpec& spec);

// arkmq-edge --config FILE, its log (stdout and stderr) kept in its temp dir.
class EdgeProcess {
 public:
  // Writes the config and starts arkmq-edge; with wait_for_link, waits (10 s) for "cloud link up"
  // and throws with the log's tail if it does not come.
  EdgeProcess(const std::string& config, bool wait_for_link);
  // SIGTERM unless killed; any exit but 0 is a test failure.
  ~EdgeProcess();
  EdgeProcess(const EdgeProcess&) = delete;
  EdgeProcess& operator=(const EdgeProcess&) = delete;

  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout);
  std::string log();
  void kill();  // SIGKILL and reap: no withdrawal, no DISCONNECT (a crash)
  std::optional<int> stop();  // SIGTERM; the exit code (nullopt if it did not end in 15 s)

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  bool killed_ = false;
  std::optional<std::optional<int>> stopped_;
};

}  // namespace arkmq::test
