// TLS listeners against a throwaway PKI: protocol floor, client certificate modes, CRL, the
// principal from CN or SAN, and the handshake deadline.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "broker/net/server.hpp"
#include "broker/net/test_support.hpp"
#include "broker/net/tls_context.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

class TlsListener : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_THROW(pki_ = std::make_unique<test::TestPki>()); }

  TlsSettings settings(ClientCertMode mode, TlsIdentity identity = TlsIdentity::cn) const {
    TlsSettings tls;
    tls.cert_file = pki_->server().cert;
    tls.key_file = pki_->server().key;
    tls.ca_file = pki_->ca();
    tls.client_certs = mode;
    tls.identity = identity;
    return tls;
  }

  // Starts a one-listener TLS server; returns its port.
  std::uint16_t start(TlsSettings tls, std::chrono::milliseconds handshake_timeout = 10s,
                      core::ListenerPolicy policy = {}) {
    ServerOptions options;
    options.listeners.push_back({"mqtts://127.0.0.1:0", std::move(tls), policy});
    options.workers = 1;
    options.handshake_timeout = handshake_timeout;
    server_ = std::make_unique<Server>(options, recording_factory(recorder_));
    auto started = server_->start();
    EXPECT_TRUE(started) << (started ? "" : started.error());
    return started ? port_of(server_->bound_urls().at(0)) : 0;
  }

  // Trusts the test CA; presents `identity` when given.
  TlsClientOptions client(const test::CertKey* identity = nullptr) const {
    TlsClientOptions options;
    options.ca = pki_->ca();
    if (identity != nullptr) {
      options.cert = identity->cert;
      options.key = identity->key;
    }
    return options;
  }

  // The handshake is accepted and a handler sees the connection; returns its info.
  std::optional<core::ConnectionInfo> connect_and_echo(TlsClient& tls_client, std::uint16_t port) {
    auto error = tls_client.connect(port);
    EXPECT_FALSE(error) << error.message();
    if (error || !tls_client.write(bytes_of("ping")) || tls_client.read(4) != bytes_of("ping")) {
      ADD_FAILURE() << "no echo over TLS";
      return std::nullopt;
    }
    return recorder_.infos().at(0);
  }

  // The server refuses: the handshake fails, or (TLS 1.3 client certificates are checked after
  // the client's Finished) the first read fails. No handler is ever created.
  void expect_refused(TlsClient& tls_client, std::uint16_t port) {
    if (!tls_client.connect(port)) {
      std::vector<std::uint8_t> rest;
      EXPECT_TRUE(tls_client.read_to_end(rest)) << "the server should end the stream";
      EXPECT_TRUE(rest.empty());
    }
    EXPECT_TRUE(recorder_.infos().empty());
  }

  std::unique_ptr<test::TestPki> pki_;
  Recorder recorder_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsListener, AcceptsTls12) {
  const auto port = start(settings(ClientCertMode::none));
  auto options = client();
  options.max_version = TLS1_2_VERSION;
  TlsClient tls_client(options);
  auto info = connect_and_echo(tls_client, port);
  ASSERT_TRUE(info);
  EXPECT_EQ(SSL_version(tls_client.ssl()), TLS1_2_VERSION);
  EXPECT_TRUE(info->tls);
  EXPECT_TRUE(info->listener.starts_with("mqtts://127.0.0.1:"));
  EXPECT_FALSE(info->certificate_principal);
}

TEST_F(TlsListener, ListenerPolicyReachesTheConnectionInfo) {
  const auto port = start(settings(ClientCertMode::none), 10s, core::ListenerPolicy{true, true});
  TlsClient tls_client(client());
  auto info = connect_and_echo(tls_client, port);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->policy.allow_anonymous);
  EXPECT_TRUE(info->policy.require_password);
}

TEST_F(TlsListener, AcceptsTls13) {
  const auto port = start(settings(ClientCertMode::none));
  auto options = client();
  options.min_version = TLS1_3_VERSION;
  TlsClient tls_client(options);
  ASSERT_TRUE(connect_and_echo(tls_client, port));
  EXPECT_EQ(SSL_version(tls_client.ssl()), TLS1_3_VERSION);
}

TEST_F(TlsListener, RefusesTls11Client) {
  const auto port = start(settings(ClientCertMode::none));
  auto options = client();
  options.legacy = true;
  options.min_version = TLS1_1_VERSION;
  options.max_version = TLS1_1_VERSION;
  TlsClient tls_client(options);
  const auto error = tls_client.connect(port);
  ASSERT_TRUE(error);
  // The server's alert, not a client that could not even offer TLS 1.1.
  EXPECT_NE(error.message().find("alert protocol version"), std::string::npos) << error.message();
  EXPECT_TRUE(recorder_.infos().empty());
}

TEST_F(TlsListener, RequiredClientCertRefusesClientWithoutCertificate) {
  const auto port = start(settings(ClientCertMode::required));
  TlsClient tls_client(client());
  expect_refused(tls_client, port);
}

TEST_F(TlsListener, RequiredClientCertGivesTheCommonNameAsPrincipal) {
  const auto port = start(settings(ClientCertMode::required));
  TlsClient tls_client(client(&pki_->san_client()));
  auto info = connect_and_echo(tls_client, port);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->certificate_principal, "alice");
}

TEST_F(TlsListener, OptionalClientCertAcceptsClientWithoutCertificate) {
  const auto port = start(settings(ClientCertMode::optional));
  TlsClient tls_client(client());
  auto info = connect_and_echo(tls_client, port);
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->certificate_principal);
}

TEST_F(TlsListener, OptionalClientCertStillVerifiesAPresentedCertificate) {
  const auto port = start(settings(ClientCertMode::optional));
  TlsClient tls_client(client(&pki_->other_ca_client()));
  expect_refused(tls_client, port);
}

TEST_F(TlsListener, UntrustedClientCertificateIsRefused) {
  const auto port = start(settings(ClientCertMode::required));
  TlsClient tls_client(client(&pki_->other_ca_client()));
  expect_refused(tls_client, port);
}

TEST_F(TlsListener, RevokedClientCertificateIsRefusedWhenACrlIsConfigured) {
  auto tls = settings(ClientCertMode::required);
  tls.crl_file = pki_->crl();
  const auto port = start(tls);
  TlsClient revoked(client(&pki_->revoked()));
  expect_refused(revoked, port);
  TlsClient good(client(&pki_->san_client()));
  auto info = connect_and_echo(good, port);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->certificate_principal, "alice");
}

struct SanCase {
  TlsIdentity identity;
  const char* expected;
};

class TlsPrincipalFromSan : public TlsListener, public ::testing::WithParamInterface<SanCase> {};

TEST_P(TlsPrincipalFromSan, PrincipalIsTheConfiguredSubjectAltName) {
  const auto port = start(settings(ClientCertMode::required, GetParam().identity));
  TlsClient tls_client(client(&pki_->san_client()));
  auto info = connect_and_echo(tls_client, port);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->certificate_principal, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(TlsListener, TlsPrincipalFromSan,
                         ::testing::Values(SanCase{TlsIdentity::san_dns, "alice.example"},
                                           SanCase{TlsIdentity::san_email, "alice@example.com"},
                                           SanCase{TlsIdentity::san_uri, "urn:arkmq:alice"}),
                         [](const ::testing::TestParamInfo<SanCase>& param) {
                           switch (param.param.identity) {
                             case TlsIdentity::cn: return std::string("cn");
                             case TlsIdentity::san_dns: return std::string("san_dns");
                             case TlsIdentity::san_email: return std::string("san_email");
                             case TlsIdentity::san_uri: return std::string("san_uri");
                           }
                           return std::string("unknown");
                         });

TEST_F(TlsListener, MissingSanKindGivesNoPrincipal) {
  const auto port = start(settings(ClientCertMode::required, TlsIdentity::san_uri));
  TlsClient tls_client(client(&pki_->client()));  // edge-1 has no SAN
  auto info = connect_and_echo(tls_client, port);
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->certificate_principal);
}

TEST_F(TlsListener, SilentClientIsDroppedAtTheHandshakeDeadline) {
  const auto port = start(settings(ClientCertMode::none), 200ms);
  TcpClient silent;
  ASSERT_TRUE(silent.connect(port));
  std::vector<std::uint8_t> got;
  EXPECT_TRUE(silent.read_to_end(got, 5s));
  EXPECT_TRUE(recorder_.infos().empty());
}

TEST_F(TlsListener, ConfiguredCiphersuiteIsTheOneNegotiated) {
  auto tls = settings(ClientCertMode::none);
  tls.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
  tls.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  const auto port = start(tls);
  TlsClient tls13(client());
  ASSERT_TRUE(connect_and_echo(tls13, port));
  EXPECT_STREQ(SSL_get_cipher_name(tls13.ssl()), "TLS_CHACHA20_POLY1305_SHA256");
}

TEST_F(TlsListener, BadSettingsAreReportedWithTheFileOrValue) {
  auto missing = settings(ClientCertMode::none);
  missing.cert_file = pki_->dir() + "/nope.pem";
  auto context = make_server_tls_context(missing);
  ASSERT_FALSE(context);
  EXPECT_NE(context.error().find("nope.pem"), std::string::npos) << context.error();

  auto bad_ciphers = settings(ClientCertMode::none);
  bad_ciphers.ciphers = "NOT-A-CIPHER";
  context = make_server_tls_context(bad_ciphers);
  ASSERT_FALSE(context);
  EXPECT_NE(context.error().find("NOT-A-CIPHER"), std::string::npos) << context.error();

  auto wrong_key = settings(ClientCertMode::none);
  wrong_key.key_file = pki_->san_client().key;
  context = make_server_tls_context(wrong_key);
  ASSERT_FALSE(context);
  EXPECT_NE(context.error().find("alice.key"), std::string::npos) << context.error();
  EXPECT_NE(context.error().find("mismatch"), std::string::npos) << context.error();
}

}  // namespace
}  // namespace arkmq::net
