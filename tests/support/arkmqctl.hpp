// arkmqctl from the system tests: run it against a broker's data directory, wait for the broker
// to reload what it changed, and connect as the users it created. Test thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/broker_process.hpp"
#include "tests/support/broker_test.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::test {

// Path of the arkmqctl binary, or "" when it was not built with the tests.
std::string arkmqctl_path();

struct ArkmqctlResult {
  ExitStatus status;
  bool timed_out = false;
  std::string out;  // stdout
  std::string err;  // stderr
  bool ok() const { return !timed_out && status.exited && status.code == 0; }
  int code() const { return status.exited ? status.code : -1; }
  std::string describe() const;  // exit status and both streams, for failure messages
};

// `arkmqctl --data-dir DATA_DIR ARGS...`; killed at the timeout.
ArkmqctlResult run_arkmqctl(const std::string& data_dir, const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

// One "policy reloaded: generation N, R rules, U users" line of the broker log.
struct PolicyReload {
  std::uint64_t generation = 0;
  std::size_t rules = 0;
  std::size_t users = 0;
};
// Every reload the broker has logged, oldest first.
std::vector<PolicyReload> policy_reloads(const BrokerProcess& broker);

// Changes a running broker's store with arkmqctl, one command at a time, and after each waits for
// the reload that includes it (on the log line, not on time): a reload with a newer generation
// and, for commands that change one, the rule or user count the command leads to. The count
// tells a reload of the change from one that merely happened meanwhile (the watcher's first poll
// may reload too). Throws std::runtime_error with arkmqctl's output or the broker log's tail when a
// command fails or no such reload follows within 10 s.
class PolicyAdmin {
 public:
  explicit PolicyAdmin(const BrokerProcess& broker);

  // Any change: "user add ...", "acl remove 3", ...; returns arkmqctl's stdout.
  std::string change(const std::vector<std::string>& args);
  // `user add NAME --password PASSWORD [--role R]... [extra...]`.
  void add_user(const std::string& name, const std::string& password,
                const std::vector<std::string>& roles = {},
                const std::vector<std::string>& extra = {});
  // `acl add ARGS...` with --json; returns the new rule's id.
  std::int64_t add_rule(const std::vector<std::string>& args);
  void remove_rule(std::int64_t id);

  // Runs arkmqctl without expecting a change (a refused command, `acl check`).
  ArkmqctlResult run(const std::vector<std::string>& args) const;

  const std::string& data_dir() const { return data_dir_; }

 private:
  void wait_for_reload(const PolicyReload& before, const std::vector<std::string>& args) const;

  const BrokerProcess& broker_;
  std::string data_dir_;
};

// A CONNECT for `client_id` with a user name and password (either may be absent).
wire::ConnectSpec login_spec(int version, const std::string& client_id,
                             std::optional<std::string> username,
                             std::optional<std::string> password);

// Sends `spec` on a fresh connection and returns the CONNACK's reason (v5) or return code
// (v3.1.1); nullopt when no CONNACK arrived within 5 s.
std::optional<std::uint8_t> connack_reason(std::uint16_t port, const wire::ConnectSpec& spec);

// A logged-in raw client (like RawSession, with credentials and a will): publish with the QoS
// handshake, subscribe, receive-and-acknowledge.
class UserSession {
 public:
  // Connects and reads CONNACK; throws std::runtime_error unless it is accepted.
  UserSession(std::uint16_t port, const wire::ConnectSpec& spec);

  RawClient& raw() { return client_; }
  int version() const { return version_; }

  // The PUBACK/PUBREC reason (0 for QoS 0); nullopt when the broker did not answer in 5 s.
  std::optional<std::uint8_t> publish(const std::string& topic, const std::string& payload,
                                      int qos = 1, bool retain = false);
  // SUBACK reason codes (empty on timeout).
  std::vector<std::uint8_t> subscribe(const std::string& filter, std::uint8_t options = 1);
  // The next PUBLISH, acknowledged; nullopt on deadline or close.
  std::optional<wire::PublishView> next_publish(const Deadline& deadline);
  // Every PUBLISH up to and including the first whose payload is `marker` (the event that ends
  // the wait: what was published before it on one connection has arrived by then).
  struct Received {
    std::vector<wire::PublishView> messages;
    bool marker_seen = false;  // false: the deadline passed or the connection closed first
  };
  Received receive_until(const std::string& marker, const Deadline& deadline);
  void disconnect();

 private:
  std::uint16_t next_id();
  // The next frame of `type`; PUBLISH and PUBREL frames met on the way are kept for
  // next_publish (a client subscribed to its own topic gets its message before the PUBACK).
  std::optional<wire::Frame> await(int type, const Deadline& deadline);
  ReadResult next_frame(const Deadline& deadline);

  RawClient client_;
  int version_;
  std::uint16_t packet_id_ = 0;
  std::deque<wire::Frame> kept_;
};

// Topics of `messages`, in order.
std::vector<std::string> topics_of(const std::vector<wire::PublishView>& messages);

// A client certificate (clientAuth) with exactly this CN, signed by `pki`'s CA: a CN can hold
// characters a user name cannot (`+`, `#`, `/`), which is what the substitution tests need.
CertKey issue_client_cert(const TestPki& pki, const std::string& file_stem,
                          const std::string& common_name);

// Base fixture of the identity and permission tests: a broker with a data directory (the store
// arkmqctl edits), acl_default deny and anonymous clients refused, plus a PolicyAdmin on it.
// Skips against mosquitto (arkmqctl and the store are arkmq's) and while arkmqctl is not built.
class StoreTest : public BrokerTest {
 protected:
  void SetUp() override;

  static BrokerOptions store_options();
  // Starts the broker (options should come from store_options()) and returns its admin.
  PolicyAdmin& start_store_broker(BrokerOptions options = store_options());
  PolicyAdmin& admin() { return *admin_; }

  // A logged-in raw client on the TCP listener; throws unless accepted.
  std::unique_ptr<UserSession> login(int version, const std::string& user,
                                     const std::string& password,
                                     const std::string& client_stem = "");

 private:
  std::unique_ptr<PolicyAdmin> admin_;
};

}  // namespace arkmq::test
