// Test PKI generation with the openssl CLI (EC P-256 keys: fast to make).
#include "broker/net/test_pki.hpp"

#include <cstdlib>
#include <fstream>
#include <random>

namespace arkmq::net::testing {

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

bool TestPki::run(const std::string& command) {
  if (!error_.empty()) {
    return false;
  }
  const std::string full = "cd '" + dir_.string() + "' && " + command + " >>openssl.log 2>&1";
  if (std::system(full.c_str()) != 0) {
    error_ = "openssl failed: " + command + " (see " + (dir_ / "openssl.log").string() + ")";
    return false;
  }
  return true;
}

TestPki::TestPki() {
  std::random_device random;
  dir_ = std::filesystem::temp_directory_path() / ("arkmq-pki-" + std::to_string(random()));
  std::filesystem::create_directories(dir_);

  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  write_file(dir_ / "server.ext",
             "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
             "extendedKeyUsage=serverAuth\n");
  write_file(dir_ / "client.ext",
             "subjectAltName=DNS:alice.example,email:alice@example.com,URI:urn:arkmq:alice\n"
             "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  write_file(dir_ / "plain-client.ext", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  write_file(dir_ / "ca.cnf",
             "[ca]\ndefault_ca=test\n[test]\ndatabase=index.txt\ncrlnumber=crlnumber\n"
             "default_md=sha256\ndefault_crl_days=2\ncertificate=ca.pem\nprivate_key=ca.key\n");
  write_file(dir_ / "index.txt", "");
  write_file(dir_ / "crlnumber", "01\n");

  auto ca = [&](const std::string& name, const std::string& cn) {
    run("openssl req -x509 " + key + " -keyout " + name + ".key -out " + name +
        ".pem -days 2 -subj /CN=" + cn +
        " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
  };
  auto leaf = [&](const std::string& name, const std::string& cn, const std::string& issuer,
                  const std::string& ext) {
    run("openssl req " + key + " -keyout " + name + ".key -out " + name + ".csr -subj /CN=" + cn);
    run("openssl x509 -req -in " + name + ".csr -CA " + issuer + ".pem -CAkey " + issuer +
        ".key -CAcreateserial -days 2 -out " + name + ".pem -extfile " + ext);
  };
  ca("ca", "arkmq-test-ca");
  ca("other-ca", "other-test-ca");
  leaf("server", "localhost", "ca", "server.ext");
  leaf("alice", "alice", "ca", "client.ext");
  leaf("mallory", "mallory", "ca", "plain-client.ext");
  leaf("stranger", "stranger", "other-ca", "plain-client.ext");
  run("openssl ca -config ca.cnf -revoke mallory.pem");
  run("openssl ca -config ca.cnf -gencrl -out crl.pem");
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace arkmq::net::testing
