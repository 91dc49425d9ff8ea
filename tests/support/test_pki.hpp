// A throwaway PKI made with the openssl CLI: CA, server and client certificates (good, with SANs,
// expired, other CA, revoked) and a CRL. Created once per test that needs it; files live in its
// TempDir. Shared by the integration tests and arkmq_net_test.
#pragma once

#include <string>

#include "tests/support/temp_dir.hpp"

namespace arkmq::test {

struct CertKey {
  std::string cert;
  std::string key;
};

class TestPki {
 public:
  TestPki();  // throws std::runtime_error (with openssl's output) on failure

  const std::string& ca() const { return ca_; }        // the trusted CA certificate
  const std::string& crl() const { return crl_; }      // CRL of that CA listing `revoked`
  const CertKey& server() const { return server_; }    // SAN 127.0.0.1, localhost
  const CertKey& client() const { return client_; }    // CN=edge-1, no SAN
  // CN=alice; SAN DNS alice.example, email alice@example.com, URI urn:arkmq:alice
  const CertKey& san_client() const { return san_client_; }
  const CertKey& expired() const { return expired_; }  // CN=edge-expired, notAfter in 2020
  const CertKey& other_ca_client() const { return other_ca_client_; }  // CN=edge-1, another CA
  const CertKey& revoked() const { return revoked_; }  // CN=edge-revoked, listed in crl()
  const std::string& dir() const { return dir_.path(); }

  // Reload tests (ops-reload): another server certificate like server() (same SANs) with
  // CN=`cn`, and a new CRL at DIR/`name` listing `cert` besides every earlier revocation.
  CertKey issue_server(const std::string& name, const std::string& cn);
  std::string revoke(const CertKey& cert, const std::string& name);

 private:
  CertKey issue(const std::string& name, const std::string& subject, const std::string& extensions,
                const std::string& validity_args);

  TempDir dir_;
  std::string ca_;
  std::string crl_;
  CertKey server_;
  CertKey client_;
  CertKey san_client_;
  CertKey expired_;
  CertKey other_ca_client_;
  CertKey revoked_;
};

}  // namespace arkmq::test
