// Base fixture for integration tests: skips when there is no broker to test, starts brokers on
// demand, and offers the skip for arkmq-only behaviour. One per test; test thread only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/support/broker_process.hpp"
#include "tests/support/paho_helpers.hpp"
#include "tests/support/raw_session.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::test {

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Starts a broker (the options are translated for mosquitto in reference mode).
  BrokerProcess& start_broker(BrokerOptions options = {});
  BrokerProcess& broker() { return *broker_; }
  const BrokerProcess& broker() const { return *broker_; }

  bool is_reference() const { return broker_kind_from_env() == BrokerKind::mosquitto; }
  std::string uri() const { return broker_->tcp_uri(); }

  // A Paho client (version 4 or 5) connected to the TCP listener with clean defaults;
  // throws if the connection fails.
  std::unique_ptr<PahoClient> connected(int version, const std::string& stem);
  std::unique_ptr<PahoClient> connected(int version, const std::string& stem,
                                        const mqtt::connect_options& options);
  // A raw, fast-connecting client (see RawSession), clean session.
  std::unique_ptr<RawSession> raw_session(int version, const std::string& stem);

 private:
  std::unique_ptr<BrokerProcess> broker_;
};

// Default options but anonymous clients refused (arkmq's default without --allow-anonymous).
inline BrokerOptions anonymous_refused() {
  BrokerOptions options;
  options.allow_anonymous = false;
  return options;
}

// An mqtts:// listener with `pki`'s server certificate that requires a client certificate from
// `pki`'s CA; with `check_crl`, certificates listed in pki.crl() are refused too.
inline BrokerOptions client_cert_tls(const TestPki& pki, bool check_crl = false) {
  BrokerOptions options;
  options.tls = true;
  options.tls_files = {pki.server().cert, pki.server().key, pki.ca(), check_crl ? pki.crl() : ""};
  options.require_client_cert = true;
  return options;
}

// For behaviour only arkmq promises (its CLI, its $SYS layout, its reason codes where Mosquitto
// differs from the spec): use as the first statement of a test.
#define ARKMQ_ONLY(why)                                                          \
  do {                                                                           \
    if (::arkmq::test::broker_kind_from_env() == ::arkmq::test::BrokerKind::mosquitto) \
      GTEST_SKIP() << "arkmq-only: " << (why);                                   \
  } while (false)

}  // namespace arkmq::test
