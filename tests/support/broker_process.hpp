// Starts the broker under test (arkmq-broker, or mosquitto when ARKMQ_TEST_BROKER=mosquitto) on free
// loopback ports, in its own temp dir. Owned by one test; on destruction SIGTERM, and exit 0 expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::test {

enum class BrokerKind { arkmq, mosquitto };

// ARKMQ_TEST_BROKER=mosquitto selects the reference broker; anything else means arkmq-broker.
BrokerKind broker_kind_from_env();
// Path of the arkmq-broker binary, or "" when it was not built with the tests.
std::string arkmq_broker_path();

struct TlsFiles {
  std::string cert;
  std::string key;
  std::string ca;
  std::string crl;  // optional; arkmq gets it as a [[listener]] tls_crl in a config file
};

struct BrokerOptions {
  bool tcp = true;   // an mqtt:// listener
  bool tls = false;  // an mqtts:// listener (needs tls_files)
  TlsFiles tls_files;
  bool require_client_cert = false;
  bool allow_anonymous = true;
  // arkmq only: --acl-default. "allow" keeps the open policy the tests before issue 3 assume
  // (arkmq's own default is deny); "" leaves the broker's default.
  std::string acl_default = "allow";
  // arkmq only: --data-dir <dir>/data, where the broker keeps arkmq.db (users, rules) and
  // arkmqctl edits it. Off: no data directory (no user store, certificate/anonymous only).
  bool with_data_dir = false;
  // arkmq only: this --data-dir instead of <dir>/data, so a restarted broker (a new
  // BrokerProcess) finds the state the previous one left. Implies with_data_dir.
  std::string data_dir_path;
  // arkmq only: the mqtt:// listener's port (0: any free one); a restart reuses the old port.
  std::uint16_t tcp_port = 0;
  // arkmq only: the mqtts:// listener's port (0: any free one); a restart reuses the old port.
  std::uint16_t tls_port = 0;
  // arkmq only: the mqtts:// listener refuses a certificate without a password
  // ([[listener]] require_password); the listeners are then described in the config file.
  bool require_password = false;
  // arkmq only: the mqtts:// listener's own allow_anonymous ([[listener]] allow_anonymous);
  // unset: the top-level setting (allow_anonymous above).
  std::optional<bool> tls_allow_anonymous;
  std::string log_level = "debug";
  std::vector<std::string> extra_args;  // appended to arkmq-broker's command line only
  std::string arkmq_config;             // top-level TOML keys; written to a file, passed with -c
  std::string mosquitto_config;         // extra lines for the reference broker's config
};

class BrokerProcess {
 public:
  // Starts the broker and waits (deadline 10 s) until every listener is up.
  // Throws std::runtime_error with the log's path and tail if it does not come up.
  explicit BrokerProcess(BrokerOptions options);
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  BrokerKind kind() const { return kind_; }
  std::uint16_t port() const { return tcp_port_; }      // the mqtt:// listener
  std::uint16_t tls_port() const { return tls_port_; }  // the mqtts:// listener
  std::string tcp_uri() const;  // Paho form: tcp://127.0.0.1:PORT
  std::string ssl_uri() const;  // Paho form: ssl://127.0.0.1:PORT
  const std::string& dir() const { return dir_.path(); }
  // The broker's --data-dir (<dir>/data) with BrokerOptions::with_data_dir; "" otherwise.
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  std::string log_text() const;  // everything the broker wrote (stdout and stderr)
  // True once the broker's output contains `needle`.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const;
  pid_t pid() const { return process_->pid(); }
  // arkmq only: the [http] listener's port, from its "listening on http://127.0.0.1:PORT" line
  // (printed after the MQTT listeners'); 0 when none appears within `timeout`.
  std::uint16_t http_port(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  // Sends SIGTERM and waits for the exit; nullopt if it did not end before the deadline.
  // Any exit but code 0 (a crash, a sanitizer report) is a test failure; the destructor stops
  // the broker the same way, so every test checks its broker's exit.
  std::optional<ExitStatus> stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  // SIGKILL (a crash: no shutdown code runs) and reap; the exit is not checked.
  void kill();

 private:
  void start_arkmq();
  void start_mosquitto();
  [[noreturn]] void fail(const std::string& what);
  void expect_clean_exit(const ExitStatus& status);  // once; records a gtest failure otherwise

  BrokerKind kind_;
  BrokerOptions options_;
  TempDir dir_;
  std::string log_path_;  // stdout and stderr, interleaved as written
  std::string data_dir_;
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t tcp_port_ = 0;
  std::uint16_t tls_port_ = 0;
  bool clean_exit_checked_ = false;
};

// A loopback TCP port that was free a moment ago (bind to port 0, read it, release it).
// Only for programs that cannot bind port 0 themselves (mosquitto).
std::uint16_t pick_free_port();

// Last `lines` lines of a text.
std::string tail_lines(const std::string& text, std::size_t lines);

}  // namespace arkmq::test
