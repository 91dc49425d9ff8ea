// 09 TLS: on a listener that requires client certificates, a certificate from the configured CA
// authenticates the client (principal = CN); missing, expired, foreign-CA and revoked ones are
// refused, and so is TLS 1.1.
#include <gtest/gtest.h>

#include "tests/support/broker_test.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Tls : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    pki_ = std::make_unique<TestPki>();
    BrokerOptions options = client_cert_tls(*pki_, /*check_crl=*/true);
    options.allow_anonymous = false;  // the certificate must be what authenticates
    start_broker(options);
  }

  mqtt::connect_options tls_options(const CertKey* client, int version = 5) const {
    auto ssl = mqtt::ssl_options_builder().trust_store(pki_->ca()).enable_server_cert_auth(true).finalize();
    if (client != nullptr) {
      ssl.set_key_store(client->cert);
      ssl.set_private_key(client->key);
    }
    auto options = version == 5 ? v5_options() : v311_options();
    options.set_ssl(ssl);
    return options;
  }

  // Connects over TLS with `client`'s certificate (or none); true if the broker accepts.
  bool connects_with(const CertKey* client) {
    PahoClient paho(broker().ssl_uri(), unique_client_id("tls"), 5);
    try {
      paho.connect(tls_options(client));
      return true;
    } catch (const mqtt::exception&) {
      return false;
    }
  }

  CommandResult s_client(const std::vector<std::string>& extra) const {
    std::vector<std::string> argv{"openssl", "s_client", "-connect",
                                  "127.0.0.1:" + std::to_string(broker().tls_port()), "-CAfile",
                                  pki_->ca(), "-cert", pki_->client().cert, "-key",
                                  pki_->client().key};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv, 10s);
  }

  std::unique_ptr<TestPki> pki_;
};

TEST_F(Tls, ClientCertificateFromTheTrustedCaIsAcceptedAndNamesThePrincipal) {
  const std::string id = unique_client_id("cert-client");
  PahoClient client(broker().ssl_uri(), id, 5);
  ASSERT_NO_THROW(client.connect(tls_options(&pki_->client())));
  // The principal is the CN, which differs from the client id: it must be what the broker logs.
  auto sub_and_pub_work = [&] {
    client.subscribe("tls/t", 1);
    client.publish("tls/t", "over-tls", 1);
    return client.messages().wait_for(1, 5s);
  };
  EXPECT_TRUE(sub_and_pub_work());
  // How each broker logs the identity: mosquitto "u'edge-1'" (use_identity_as_username),
  // arkmq "principal='edge-1'".
  const std::string principal = is_reference() ? "u'edge-1'" : "principal='edge-1'";
  EXPECT_TRUE(broker().wait_for_log(principal, 5s))
      << "no " << principal << " in the broker log";
}

TEST_F(Tls, CertificateAuthenticatesWhereAnonymousTcpIsRefused) {
  PahoClient tls_client(broker().ssl_uri(), unique_client_id("tls-side"), 5);
  tls_client.connect(tls_options(&pki_->client()));
  tls_client.subscribe("cross/#", 1);
  // Same broker, anonymous refused: the TCP client has no identity, the TLS one has its CN.
  RawClient tcp(broker().port());
  const auto connack = tcp.connect(wire::connect_spec(5, unique_client_id("tcp-side")), Deadline(5s));
  ASSERT_TRUE(connack);
  EXPECT_EQ(wire::parse_connack(*connack, 5)->reason, 0x87) << "anonymous TCP client accepted";
  tls_client.publish("cross/t", "via-tls", 1);
  ASSERT_TRUE(tls_client.messages().wait_for(1, 5s));
}

TEST_F(Tls, V311ClientWithCertificateIsAccepted) {
  PahoClient client(broker().ssl_uri(), unique_client_id("cert311"), 4);
  EXPECT_NO_THROW(client.connect(tls_options(&pki_->client(), 4)));
}

TEST_F(Tls, MissingClientCertificateIsRefused) { EXPECT_FALSE(connects_with(nullptr)); }

TEST_F(Tls, ExpiredClientCertificateIsRefused) { EXPECT_FALSE(connects_with(&pki_->expired())); }

TEST_F(Tls, CertificateFromAnotherCaIsRefused) {
  EXPECT_FALSE(connects_with(&pki_->other_ca_client()));
}

TEST_F(Tls, RevokedClientCertificateIsRefused) { EXPECT_FALSE(connects_with(&pki_->revoked())); }

TEST_F(Tls, PlainTcpToTheTlsListenerGetsNoConnack) {
  RawClient raw(broker().tls_port());
  raw.send(wire::connect(wire::connect_spec(4, "plain")));
  EXPECT_TRUE(raw.expect_closed(Deadline(10s)));
  if (raw.last_frame()) {
    EXPECT_NE(raw.last_frame()->type(), 2) << "CONNACK over a TLS port without TLS";
  }
}

TEST_F(Tls, Tls12HandshakeSucceeds) {
  // Positive control for the TLS 1.1 test: same tool, same certificates.
  const auto result = s_client({"-tls1_2"});
  EXPECT_TRUE(result.ok()) << result.output;
  EXPECT_NE(result.output.find("TLSv1.2"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("Cipher is (NONE)"), std::string::npos) << result.output;
}

TEST_F(Tls, Tls11IsRefused) {
  // SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all; the broker must still refuse it.
  const auto result = s_client({"-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"});
  EXPECT_FALSE(result.ok()) << result.output;
  EXPECT_NE(result.output.find("Cipher is (NONE)"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace arkmq::test
