// 29 reload: SIGHUP and `arkmqctl reload` against the real broker with a test PKI. Certificate
// rotation keeps old connections and serves new handshakes with the new certificate, a reloaded
// CRL disconnects exactly the revoked client, a broken config file is refused whole (the broker
// keeps its settings, arkmqctl exits 1 with the file:line), and arkmqctl refuses stale pid files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/arkmqctl.hpp"
#include "tests/support/audit_helpers.hpp"
#include "tests/support/broker_test.hpp"
#include "tests/support/paho_helpers.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

void copy_over(const std::string& from, const std::string& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// How often `needle` occurs in `text`.
std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class Reload : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    if (is_reference()) GTEST_SKIP() << "reload is arkmq's (SIGHUP + arkmqctl)";
    if (arkmqctl_path().empty()) GTEST_SKIP() << "arkmqctl was not built";
    pki_ = std::make_unique<TestPki>();
    // The broker reads "live" copies: rotation replaces files in place, as an operator would.
    live_ = {pki_->dir() + "/live-server.pem", pki_->dir() + "/live-server.key"};
    live_crl_ = pki_->dir() + "/live-crl.pem";
    copy_over(pki_->server().cert, live_.cert);
    copy_over(pki_->server().key, live_.key);
    copy_over(pki_->crl(), live_crl_);
    BrokerOptions options = client_cert_tls(*pki_, /*check_crl=*/true);
    options.tls_files = {live_.cert, live_.key, pki_->ca(), live_crl_};
    options.with_data_dir = true;
    start_broker(options);
    config_path_ = broker().dir() + "/arkmq.toml";
    ASSERT_FALSE(read_file(config_path_).empty()) << "the broker should run with a config file";
  }

  mqtt::connect_options tls_options(const CertKey& client) const {
    auto ssl = mqtt::ssl_options_builder()
                   .trust_store(pki_->ca())
                   .enable_server_cert_auth(true)
                   .finalize();
    ssl.set_key_store(client.cert);
    ssl.set_private_key(client.key);
    auto options = v5_options();
    options.set_ssl(ssl);
    return options;
  }

  std::unique_ptr<PahoClient> tls_client(const std::string& stem, const CertKey& cert) {
    auto client = std::make_unique<PahoClient>(broker().ssl_uri(), unique_client_id(stem), 5);
    client->connect(tls_options(cert));
    return client;
  }

  // The CN of the certificate a fresh handshake gets (openssl s_client with a client cert).
  std::string server_subject() const {
    const auto result = run_command(
        {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(broker().tls_port()),
         "-CAfile", pki_->ca(), "-cert", pki_->san_client().cert, "-key", pki_->san_client().key,
         "-verify_return_error", "-brief"},
        10s);
    for (const char* cn : {"localhost-2", "localhost"}) {
      if (result.output.find(std::string("CN = ") + cn + "\n") != std::string::npos ||
          result.output.find(std::string("CN=") + cn + "\n") != std::string::npos) {
        return cn;
      }
    }
    return "none: " + result.output;
  }

  // Publishes on `topic` and waits until `client` (subscribed to it) receives it.
  static bool round_trip(PahoClient& client, const std::string& topic, const std::string& payload) {
    client.publish(topic, payload, 1);
    return client.messages().wait_for_payload(payload, 5s);
  }

  void rotate_to_second_certificate() {
    const CertKey next = pki_->issue_server("server-2", "localhost-2");
    copy_over(next.cert, live_.cert);
    copy_over(next.key, live_.key);
  }

  std::unique_ptr<TestPki> pki_;
  CertKey live_;
  std::string live_crl_;
  std::string config_path_;
};

TEST_F(Reload, RotatedCertificateServesNewHandshakesWhileOldConnectionsKeepWorking) {
  auto before = tls_client("before", pki_->san_client());
  before->subscribe("rotate/#", 1);
  ASSERT_TRUE(round_trip(*before, "rotate/a", "one"));
  ASSERT_EQ(server_subject(), "localhost");

  rotate_to_second_certificate();
  const auto reload = run_arkmqctl(broker().data_dir(), {"reload", "--timeout", "20"});
  ASSERT_TRUE(reload.ok()) << reload.describe();
  EXPECT_NE(reload.out.find("reload applied: TLS files of 1 listener(s) re-read"),
            std::string::npos)
      << reload.describe();

  EXPECT_TRUE(round_trip(*before, "rotate/a", "two")) << "the old connection stopped working";
  EXPECT_EQ(server_subject(), "localhost-2");
  auto after = tls_client("after", pki_->client());  // verifies the new chain
  after->subscribe("rotate/#", 1);
  EXPECT_TRUE(round_trip(*after, "rotate/b", "three"));
  EXPECT_TRUE(before->messages().wait_for_payload("three", 5s));
}

TEST_F(Reload, ReloadedCrlDisconnectsExactlyTheRevokedClient) {
  auto edge = tls_client("edge", pki_->client());        // CN=edge-1: revoked below
  auto alice = tls_client("alice", pki_->san_client());  // CN=alice: stays
  alice->subscribe("crl/#", 1);
  ASSERT_TRUE(round_trip(*alice, "crl/t", "before"));

  copy_over(pki_->revoke(pki_->client(), "crl-2.pem"), live_crl_);
  ASSERT_EQ(::kill(broker().pid(), SIGHUP), 0);  // the signal itself, as systemctl reload does
  ASSERT_TRUE(broker().wait_for_log("1 revoked client(s) disconnected", 10s))
      << tail_lines(broker().log_text(), 20);

  EXPECT_TRUE(edge->wait_for_connection_lost(10s)) << "the revoked client is still connected";
  EXPECT_TRUE(round_trip(*alice, "crl/t", "after")) << "alice lost her connection";
  EXPECT_NE(broker().log_text().find("(principal 'edge-1') closed: its certificate is revoked"),
            std::string::npos);
  EXPECT_EQ(count_of(broker().log_text(), "its certificate is revoked"), 1u);
  // Journaled as a tls_failure row naming the peer's principal.
  std::vector<AuditRow> rows;
  const auto row = wait_for_audit_row(
      broker().data_dir(), {"--type", "tls_failure"},
      [](const AuditRow& r) {
        return r.detail("reason") == "certificate revoked by the reloaded CRL, principal 'edge-1'";
      },
      &rows);
  ASSERT_TRUE(row) << describe(rows);
  EXPECT_EQ(row->listener, "mqtts://127.0.0.1:" + std::to_string(broker().tls_port())) << row->line;
  // And it cannot come back.
  PahoClient again(broker().ssl_uri(), unique_client_id("edge-again"), 5);
  EXPECT_THROW(again.connect(tls_options(pki_->client())), mqtt::exception);
}

TEST_F(Reload, BrokenConfigIsRefusedAndTheRunningSettingsStay) {
  auto before = tls_client("before", pki_->san_client());
  before->subscribe("broken/#", 1);
  const std::string good = read_file(config_path_);
  rotate_to_second_certificate();  // would be re-read, were the file valid
  write_file(config_path_, good + "\nworkers = \"many\"\n");
  const std::size_t lines = static_cast<std::size_t>(count_of(good + "\n", "\n")) + 1;

  const auto refused = run_arkmqctl(broker().data_dir(), {"reload", "--timeout", "20"});
  EXPECT_EQ(refused.code(), 1) << refused.describe();
  EXPECT_NE(refused.err.find("reload refused: "), std::string::npos) << refused.describe();
  EXPECT_NE(refused.err.find("arkmq.toml:" + std::to_string(lines)), std::string::npos)
      << refused.describe();
  EXPECT_NE(refused.err.find("the running configuration stays"), std::string::npos)
      << refused.describe();
  EXPECT_TRUE(broker().wait_for_log("reload refused: ", 5s));

  EXPECT_TRUE(round_trip(*before, "broken/a", "still")) << "the broker stopped serving";
  EXPECT_EQ(server_subject(), "localhost") << "a refused reload changed the certificate";

  write_file(config_path_, good);
  const auto fixed = run_arkmqctl(broker().data_dir(), {"reload", "--timeout", "20"});
  ASSERT_TRUE(fixed.ok()) << fixed.describe();
  EXPECT_EQ(server_subject(), "localhost-2");
  EXPECT_TRUE(round_trip(*before, "broken/a", "after the fix"));
}

TEST_F(Reload, ArkmqctlRefusesAStalePidFile) {
  TempDir dir("arkmq-reload-stale");
  // A process that is gone: a child reaped before the pid is written.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  write_file(dir.file("arkmq-broker.pid"), std::to_string(child) + "\n");
  auto result = run_arkmqctl(dir.path(), {"reload", "--timeout", "2"});
  EXPECT_EQ(result.code(), 1) << result.describe();
  EXPECT_NE(result.err.find("is gone"), std::string::npos) << result.describe();

  // A live process that is not the broker: this test.
  write_file(dir.file("arkmq-broker.pid"), std::to_string(::getpid()) + "\n");
  result = run_arkmqctl(dir.path(), {"reload", "--timeout", "2"});
  EXPECT_EQ(result.code(), 1) << result.describe();
  EXPECT_NE(result.err.find("not arkmq-broker"), std::string::npos) << result.describe();

  result = run_arkmqctl(dir.path(), {"reload", "--timeout", "0"});
  EXPECT_EQ(result.code(), 2) << result.describe();
  fs::remove(dir.file("arkmq-broker.pid"));
  result = run_arkmqctl(dir.path(), {"reload"});
  EXPECT_EQ(result.code(), 1) << result.describe();
  EXPECT_NE(result.err.find("no pid file"), std::string::npos) << result.describe();
  // The broker of the fixture was never signalled: its pid file is its own.
  EXPECT_EQ(read_file(broker().data_dir() + "/arkmq-broker.pid"),
            std::to_string(broker().pid()) + "\n");
}

}  // namespace
}  // namespace arkmq::test
