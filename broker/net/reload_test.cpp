// Server::reload_tls against a throwaway PKI: new handshakes see the new certificate, open
// connections keep working, a reloaded CRL closes exactly the revoked client, and a bad file
// changes nothing.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <mutex>

#include "broker/net/server.hpp"
#include "broker/net/test_support.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// The CN of the certificate the server presented to `client`.
std::string server_cn(TlsClient& client) {
  X509* cert = SSL_get1_peer_certificate(client.ssl());
  if (cert == nullptr) {
    return "";
  }
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof(buffer));
  X509_free(cert);
  return buffer;
}

class TlsReload : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_THROW(pki_ = std::make_unique<test::TestPki>()); }

  TlsSettings settings(ClientCertMode mode) const {
    TlsSettings tls;
    tls.cert_file = pki_->server().cert;
    tls.key_file = pki_->server().key;
    tls.ca_file = pki_->ca();
    tls.crl_file = pki_->crl();
    tls.client_certs = mode;
    return tls;
  }

  std::uint16_t start(TlsSettings tls) {
    ServerOptions options;
    options.listeners.push_back({"mqtts://127.0.0.1:0", std::move(tls), {}});
    options.workers = 2;  // connections on more than one worker
    options.on_tls_revoked = [this](const core::ConnectionInfo& info, std::string_view reason) {
      std::lock_guard lock(revoked_mutex_);
      revoked_.push_back(info.certificate_principal.value_or("") + ": " + std::string(reason));
    };
    listeners_ = options.listeners;
    server_ = std::make_unique<Server>(options, recording_factory(recorder_));
    auto started = server_->start();
    EXPECT_TRUE(started) << (started ? "" : started.error());
    return started ? port_of(server_->bound_urls().at(0)) : 0;
  }

  tl::expected<TlsReloadResult, std::string> reload(TlsSettings tls) {
    auto listeners = listeners_;
    listeners.at(0).tls = std::move(tls);
    return server_->reload_tls(listeners);
  }

  TlsClientOptions client(const test::CertKey* identity = nullptr) const {
    TlsClientOptions options;
    options.ca = pki_->ca();
    if (identity != nullptr) {
      options.cert = identity->cert;
      options.key = identity->key;
    }
    return options;
  }

  // Connects and checks the echo; `echoes` counts the round trips expected so far on the server.
  bool connect_and_echo(TlsClient& client, std::uint16_t port) {
    auto error = client.connect(port);
    EXPECT_FALSE(error) << error.message();
    return !error && echoes(client);
  }
  static bool echoes(TlsClient& client) {
    return client.write(bytes_of("ping")) && client.read(4) == bytes_of("ping");
  }

  std::vector<std::string> revoked() {
    std::lock_guard lock(revoked_mutex_);
    return revoked_;
  }

  std::unique_ptr<test::TestPki> pki_;
  Recorder recorder_;
  std::vector<ListenerOptions> listeners_;
  std::unique_ptr<Server> server_;
  std::mutex revoked_mutex_;
  std::vector<std::string> revoked_;
};

TEST_F(TlsReload, NewHandshakesSeeTheNewCertificate) {
  const auto port = start(settings(ClientCertMode::none));
  const auto next = pki_->issue_server("server-2", "localhost-2");
  TlsClient before(client());
  ASSERT_TRUE(connect_and_echo(before, port));
  EXPECT_EQ(server_cn(before), "localhost");

  auto tls = settings(ClientCertMode::none);
  tls.cert_file = next.cert;
  tls.key_file = next.key;
  auto reloaded = reload(tls);
  ASSERT_TRUE(reloaded) << reloaded.error();
  EXPECT_EQ(reloaded->contexts, 1u);
  EXPECT_EQ(reloaded->revoked, 0u);

  TlsClient after(client());
  ASSERT_TRUE(connect_and_echo(after, port));
  EXPECT_EQ(server_cn(after), "localhost-2");
}

TEST_F(TlsReload, AConnectionMadeBeforeTheReloadKeepsWorking) {
  const auto port = start(settings(ClientCertMode::required));
  TlsClient before(client(&pki_->client()));
  ASSERT_TRUE(connect_and_echo(before, port));

  const auto next = pki_->issue_server("server-2", "localhost-2");
  auto tls = settings(ClientCertMode::required);
  tls.cert_file = next.cert;
  tls.key_file = next.key;
  ASSERT_TRUE(reload(tls));
  // The old context is gone from the listener; the connection holds its own.
  TlsClient after(client(&pki_->client()));
  ASSERT_TRUE(connect_and_echo(after, port));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(echoes(before)) << "round " << i;
  }
  EXPECT_FALSE(recorder_.wait([](const Recorder& r) { return r.closed_ > 0; }, 0ms))
      << "a connection was closed";
}

TEST_F(TlsReload, AReloadedCrlDisconnectsExactlyTheRevokedClient) {
  const auto port = start(settings(ClientCertMode::required));
  TlsClient edge(client(&pki_->client()));      // CN=edge-1: revoked below
  TlsClient alice(client(&pki_->san_client()));  // CN=alice: stays
  ASSERT_TRUE(connect_and_echo(edge, port));
  ASSERT_TRUE(connect_and_echo(alice, port));

  auto tls = settings(ClientCertMode::required);
  tls.crl_file = pki_->revoke(pki_->client(), "crl-2.pem");
  auto reloaded = reload(tls);
  ASSERT_TRUE(reloaded) << reloaded.error();
  EXPECT_EQ(reloaded->revoked, 1u);

  std::vector<std::uint8_t> rest;
  EXPECT_TRUE(edge.read_to_end(rest)) << "the revoked client's connection should end";
  EXPECT_TRUE(recorder_.wait([](const Recorder& r) { return r.closed_ == 1; }));
  EXPECT_TRUE(echoes(alice));
  EXPECT_EQ(revoked(),
            std::vector<std::string>{"edge-1: certificate revoked by the reloaded CRL"});

  // And it cannot come back.
  TlsClient again(client(&pki_->client()));
  if (!again.connect(port)) {
    std::vector<std::uint8_t> more;
    EXPECT_TRUE(again.read_to_end(more)) << "the server should refuse the revoked certificate";
  }
  EXPECT_TRUE(recorder_.wait([](const Recorder& r) { return r.closed_ == 1; }));
  EXPECT_EQ(recorder_.infos().size(), 2u);
}

TEST_F(TlsReload, ABadFileChangesNothing) {
  const auto port = start(settings(ClientCertMode::required));
  TlsClient edge(client(&pki_->client()));
  ASSERT_TRUE(connect_and_echo(edge, port));

  auto tls = settings(ClientCertMode::required);
  tls.crl_file = pki_->revoke(pki_->client(), "crl-2.pem");
  tls.key_file = pki_->dir() + "/missing.key";  // the CRL would revoke edge-1: not applied
  auto reloaded = reload(tls);
  ASSERT_FALSE(reloaded);
  EXPECT_NE(reloaded.error().find(pki_->dir() + "/missing.key"), std::string::npos)
      << reloaded.error();

  auto mismatched = settings(ClientCertMode::required);
  mismatched.key_file = pki_->client().key;  // not the server certificate's key
  reloaded = reload(mismatched);
  ASSERT_FALSE(reloaded);
  EXPECT_NE(reloaded.error().find(pki_->client().key), std::string::npos) << reloaded.error();

  EXPECT_TRUE(echoes(edge));
  TlsClient after(client(&pki_->client()));
  ASSERT_TRUE(connect_and_echo(after, port));  // the old CRL still serves new handshakes
  EXPECT_EQ(server_cn(after), "localhost");
  EXPECT_TRUE(revoked().empty());
}

TEST_F(TlsReload, AChangedListenerListIsRefused) {
  start(settings(ClientCertMode::none));
  auto listeners = listeners_;
  listeners.push_back({"mqtt://127.0.0.1:0", {}, {}});
  auto reloaded = server_->reload_tls(listeners);
  ASSERT_FALSE(reloaded);
  EXPECT_NE(reloaded.error().find("2 listener(s)"), std::string::npos) << reloaded.error();
  listeners = listeners_;
  listeners.at(0).url = "mqtts://127.0.0.1:1";
  reloaded = server_->reload_tls(listeners);
  ASSERT_FALSE(reloaded);
  EXPECT_NE(reloaded.error().find("restart"), std::string::npos) << reloaded.error();
}

}  // namespace
}  // namespace arkmq::net
