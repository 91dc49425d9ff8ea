// Real processes for the edge's component tests: a mosquitto on a fixed loopback port that can
// be stopped and started again on that port (the "cloud" stand-in and the site broker), and
// arkmq-edge itself run from the fresh build with a config file. Owned by one test thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/paho_helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::edge::test {

struct MosquittoTls {
  std::string ca;
  std::string cert;
  std::string key;
};

class Mosquitto {
 public:
  // persistent: keeps sessions and queued messages across stop()/start() (its own directory).
  explicit Mosquitto(bool persistent = false);
  // A TLS listener requiring a client certificate (its CN is the client's user name), plus the
  // plain listener (port()) for test clients.
  explicit Mosquitto(const MosquittoTls& tls);
  ~Mosquitto();
  void start();  // same port every time; waits until a client can connect
  void stop();   // SIGTERM and wait for exit
  std::uint16_t port() const { return port_; }
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  std::string mqtt_url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  std::string mqtts_url() const { return "mqtts://127.0.0.1:" + std::to_string(tls_port_); }

 private:
  arkmq::test::TempDir dir_;
  bool persistent_;
  std::uint16_t port_;
  std::optional<MosquittoTls> tls_;
  std::uint16_t tls_port_ = 0;
  int runs_ = 0;
  std::unique_ptr<arkmq::test::ChildProcess> process_;
};

class EdgeProcess {
 public:
  // Writes `config` to a file and starts arkmq-edge; waits (10 s) for "cloud link up" and the
  // local link's subscriptions, unless wait_for_link is false.
  EdgeProcess(const std::string& config, bool wait_for_link = true);
  ~EdgeProcess();
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout);
  std::string log();
  const std::string& config_path() const { return config_path_; }
  std::string dir() const { return dir_.path(); }
  int stop();  // SIGTERM; the exit code (-1 if it did not exit)

 private:
  arkmq::test::TempDir dir_;
  std::string config_path_;
  std::unique_ptr<arkmq::test::ChildProcess> process_;
  std::optional<int> stopped_code_;
};

std::string edge_binary();
std::string temp_outbox_path(const arkmq::test::TempDir& dir);

// A PahoClient on `uri` (MQTT 5), connected; clean start and session expiry as given.
std::unique_ptr<arkmq::test::PahoClient> connect_client(const std::string& uri, const std::string& stem,
                                                        bool clean_start = true,
                                                        std::uint32_t session_expiry = 0,
                                                        const std::string& client_id = "");

// Publishes a forwarded call as the cloud broker would (Response Topic $svc/reply/N/<id>,
// Correlation Data, svc-deadline-ms, svc-caller) and returns the reply, or nullptr at timeout.
// The client must already be subscribed to $svc/reply/N/#.
mqtt::const_message_ptr call_and_wait(arkmq::test::PahoClient& cloud, const std::string& node,
                                      const std::string& service, const std::string& method,
                                      const std::string& payload, const std::string& correlation,
                                      int deadline_ms, std::chrono::milliseconds timeout);

using arkmq::test::user_property;  // tests/support/paho_helpers.hpp

}  // namespace arkmq::edge::test
