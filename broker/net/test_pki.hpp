// Test-only: a throwaway PKI (CA, server, clients, a CRL) made with the openssl CLI in a temp
// directory. Keys never leave the temp dir; the directory is removed by the destructor.
#pragma once

#include <filesystem>
#include <string>

namespace arkmq::net::testing {

class TestPki {
 public:
  TestPki();   // generates everything; check ok() / error()
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string ca() const { return path("ca.pem"); }
  std::string server_cert() const { return path("server.pem"); }
  std::string server_key() const { return path("server.key"); }
  std::string crl() const { return path("crl.pem"); }
  // CN=alice, SAN dns alice.example, email alice@example.com, uri urn:arkmq:alice
  std::string alice_cert() const { return path("alice.pem"); }
  std::string alice_key() const { return path("alice.key"); }
  // CN=mallory, revoked in crl.pem
  std::string mallory_cert() const { return path("mallory.pem"); }
  std::string mallory_key() const { return path("mallory.key"); }
  // CN=stranger, signed by a CA the server does not trust
  std::string stranger_cert() const { return path("stranger.pem"); }
  std::string stranger_key() const { return path("stranger.key"); }

 private:
  bool run(const std::string& command);

  std::filesystem::path dir_;
  std::string error_;
};

}  // namespace arkmq::net::testing
