// Process tests of the long-running `arkmqctl audit` commands: follow (rows appended while it
// runs, SIGTERM) and replay to a real mosquitto on a free loopback port, checked with a Paho
// subscriber.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/paho_helpers.hpp"
#include "tests/support/test_pki.hpp"
#include "tools/arkmqctl/audit_test_journal.hpp"

namespace arkmq::ctl::test {
namespace {

using storage::AuditOutcome;
using storage::AuditType;

// follow runs as a child; its CSV header says it has read the chain head, so rows written
// after the header must be printed and the ten older rows must not.
TEST_F(ArkmqctlAudit, FollowPrintsRowsAppendedAfterItStarted) {
  arkmq::test::TempDir logs("arkmqctl-follow");
  arkmq::test::ChildProcess follow({ARKMQCTL_PATH, "--data-dir", data_dir(), "audit", "follow",
                                    "--csv", "--max-rows", "2", "--max-seconds", "20"},
                                   logs.file("stderr"));
  const auto header = follow.read_line_until([](const std::string&) { return true; },
                                             arkmq::test::Deadline(std::chrono::seconds(10)));
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(*header,
            "time,time_us,seq,type,outcome,principal,client_id,peer,listener,topic,"
            "details,payload,hash");
  append(
      {event(kT0 + 20 * kSecond, AuditType::auth_success, AuditOutcome::allow, "late-1", "eve")});
  append({event(kT0 + 21 * kSecond, AuditType::auth_failure, AuditOutcome::deny, "late-2", "eve")});
  ASSERT_TRUE(follow.read_to_eof(arkmq::test::Deadline(std::chrono::seconds(10))));
  const auto status = follow.wait(arkmq::test::Deadline(std::chrono::seconds(5)));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, (arkmq::test::ExitStatus{true, 0, 0}))
      << arkmq::test::read_file(logs.file("stderr"));
  const auto records = parse_csv(follow.output());
  ASSERT_EQ(records.size(), 3U) << follow.output();
  EXPECT_EQ(records[1][2], "11");
  EXPECT_EQ(records[1][6], "late-1");
  EXPECT_EQ(records[2][2], "12");
  EXPECT_EQ(records[2][6], "late-2");
}

TEST_F(ArkmqctlAudit, FollowStopsCleanlyOnSigterm) {
  arkmq::test::TempDir logs("arkmqctl-follow");
  arkmq::test::ChildProcess follow(
      {ARKMQCTL_PATH, "--data-dir", data_dir(), "audit", "follow", "--csv", "--max-seconds", "20"},
      logs.file("stderr"));
  ASSERT_TRUE(follow.read_line_until([](const std::string&) { return true; },
                                     arkmq::test::Deadline(std::chrono::seconds(10))));
  follow.send_signal(SIGTERM);
  const auto status = follow.wait(arkmq::test::Deadline(std::chrono::seconds(5)));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, (arkmq::test::ExitStatus{true, 0, 0}));
}

TEST_F(ArkmqctlAudit, FollowWithSinceFirstPrintsTheMatchingHistory) {
  const auto result = ctl({"audit", "follow", "--since", "2026-11-27T18:00:07Z", "--max-rows", "2",
                           "--max-seconds", "20"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(seqs(result), (Seqs{9, 10}));
}

// A mosquitto on a loopback port (and, with a PKI, an mqtts port requiring a client
// certificate), for replay.
class Mosquitto {
 public:
  explicit Mosquitto(const arkmq::test::TempDir& dir, const arkmq::test::TestPki* pki = nullptr)
      : port_(arkmq::test::pick_free_port()) {
    // As root, mosquitto would drop to its own user and could not read the test PKI.
    std::string config =
        "user root\nallow_anonymous true\nlistener " + std::to_string(port_) + " 127.0.0.1\n";
    if (pki != nullptr) {
      tls_port_ = arkmq::test::pick_free_port();
      config += "listener " + std::to_string(tls_port_) + " 127.0.0.1\ncafile " + pki->ca() +
                "\ncertfile " + pki->server().cert + "\nkeyfile " + pki->server().key +
                "\nrequire_certificate true\n";
    }
    arkmq::test::write_file(dir.file("mosquitto.conf"), config);
    process_ = std::make_unique<arkmq::test::ChildProcess>(
        std::vector<std::string>{"/usr/sbin/mosquitto", "-c", dir.file("mosquitto.conf")},
        dir.file("mosquitto.log"));
  }
  ~Mosquitto() { process_->kill_and_reap(); }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  std::string tls_url() const { return "mqtts://127.0.0.1:" + std::to_string(tls_port_); }
  std::string paho_uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

  // Connects a subscriber, retrying until mosquitto listens (5 s at most).
  std::unique_ptr<arkmq::test::PahoClient> subscriber(const std::string& filter) const {
    const arkmq::test::Deadline deadline(std::chrono::seconds(5));
    while (true) {
      auto client = std::make_unique<arkmq::test::PahoClient>(
          paho_uri(), arkmq::test::unique_client_id("replay-sub"), 5);
      try {
        client->connect(arkmq::test::v5_options());
        client->subscribe(filter, 1);
        return client;
      } catch (const mqtt::exception&) {
        if (deadline.expired()) throw;
      }
      client.reset();
      ::usleep(50'000);  // a connect retry interval, bounded by the deadline above
    }
  }

 private:
  std::uint16_t port_;
  std::uint16_t tls_port_ = 0;
  std::unique_ptr<arkmq::test::ChildProcess> process_;
};

TEST_F(ArkmqctlAudit, ReplayRepublishesCapturedPayloadsInOrder) {
  arkmq::test::TempDir dir("arkmqctl-replay");
  Mosquitto broker(dir);
  auto subscriber = broker.subscriber("plant/#");
  const auto result = ctl({"audit", "replay", "--to", broker.url(), "--speed", "0"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "replayed 2 publishes to " + broker.url() + " (MQTT 5)\n");
  EXPECT_EQ(result.err,
            "arkmqctl: warning: 1 publish rows have no captured payload; enable audit "
            "capture\n");
  ASSERT_TRUE(subscriber->messages().wait_for(2, std::chrono::seconds(5)));
  const auto messages = subscriber->messages().messages();
  ASSERT_EQ(messages.size(), 2U);
  EXPECT_EQ(messages[0]->get_topic(), "plant/1/temp");
  EXPECT_EQ(messages[0]->get_payload_str(), "21.5");
  EXPECT_EQ(messages[0]->get_qos(), 1);
  EXPECT_EQ(messages[1]->get_topic(), "plant/2/temp");
  EXPECT_EQ(messages[1]->get_payload_str(), kBinaryPayload);
  // The retain flag travelled: a late subscriber gets the message as retained.
  auto late = broker.subscriber("plant/2/temp");
  ASSERT_TRUE(late->messages().wait_for(1, std::chrono::seconds(5)));
  EXPECT_TRUE(late->messages().messages()[0]->is_retained());
  EXPECT_EQ(late->messages().messages()[0]->get_payload_str(), kBinaryPayload);
}

TEST_F(ArkmqctlAudit, ReplayKeepsTheOriginalSpacingScaledBySpeed) {
  arkmq::test::TempDir dir("arkmqctl-replay");
  Mosquitto broker(dir);
  auto subscriber = broker.subscriber("plant/#");
  // Rows 3 and 4 are 0.5 s apart: at --speed 1 the replay takes at least that long.
  const auto started = std::chrono::steady_clock::now();
  const auto result = ctl({"audit", "replay", "--to", broker.url(), "--topic", "plant/+/temp"});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GE(took, std::chrono::milliseconds(500));
  EXPECT_EQ(subscriber->messages().payloads(), (std::vector<std::string>{"21.5", kBinaryPayload}));
}

TEST_F(ArkmqctlAudit, ReplayConnectsOverTlsWithAClientCertificate) {
  arkmq::test::TestPki pki;
  arkmq::test::TempDir dir("arkmqctl-replay");
  Mosquitto broker(dir, &pki);
  auto subscriber = broker.subscriber("plant/#");
  const auto result =
      ctl({"audit", "replay", "--to", broker.tls_url(), "--speed", "0", "--tls-ca", pki.ca(),
           "--tls-cert", pki.client().cert, "--tls-key", pki.client().key});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "replayed 2 publishes to " + broker.tls_url() + " (MQTT 5)\n");
  ASSERT_TRUE(subscriber->messages().wait_for(2, std::chrono::seconds(5)));
  EXPECT_EQ(subscriber->messages().payloads(), (std::vector<std::string>{"21.5", kBinaryPayload}));

  // Without the client certificate the broker refuses the handshake: exit 1, one line.
  const auto refused =
      ctl({"audit", "replay", "--to", broker.tls_url(), "--speed", "0", "--tls-ca", pki.ca()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("cannot connect to " + broker.tls_url()), std::string::npos)
      << refused.err;
}

TEST_F(ArkmqctlAudit, ReplayRefusesRowsWithoutACapturedPayload) {
  const auto result =
      ctl({"audit", "replay", "--to", "mqtt://127.0.0.1:9", "--topic", "plant/3/#"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            "arkmqctl: nothing replayed: 1 publish rows have no captured payload; "
            "enable audit capture\n");
}

TEST_F(ArkmqctlAudit, ReplayBadUrlIsBadUsage) {
  for (const char* url : {"http://127.0.0.1:1883", "mqtt://", "mqtt://host:99999", "mqtt://h:x"}) {
    const auto result = ctl({"audit", "replay", "--to", url});
    EXPECT_EQ(result.exit_code, 2) << url;
    EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  }
  const auto tls =
      ctl({"audit", "replay", "--to", "mqtt://127.0.0.1:1883", "--tls-ca", "/etc/hostname"});
  EXPECT_EQ(tls.exit_code, 2) << tls.err;
}

}  // namespace
}  // namespace arkmq::ctl::test
