// TestPki: `openssl ca` with a minimal database, because only it can back-date a certificate
// (the expired one) and produce a CRL.
#include "tests/support/test_pki.hpp"

#include <sstream>
#include <vector>

#include "tests/support/run_command.hpp"

namespace arkmq::test {

namespace {

const char* const kCaConfig = R"([ca]
default_ca = test_ca
[test_ca]
dir = DIR
database = $dir/index.txt
new_certs_dir = $dir/issued
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
default_days = 2
default_crl_days = 2
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
[client_san_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = DNS:alice.example,email:alice@example.com,URI:urn:arkmq:alice
)";

std::vector<std::string> new_ca_args(const std::string& key, const std::string& cert,
                                     const std::string& cn) {
  return {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + cn,
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"};
}

}  // namespace

TestPki::TestPki() : dir_("arkmq-pki") {
  const std::string& d = dir_.path();
  std::string config = kCaConfig;
  config.replace(config.find("DIR"), 3, d);
  write_file(d + "/ca.cnf", config);
  write_file(d + "/index.txt", "");
  write_file(d + "/serial", "1000\n");
  write_file(d + "/crlnumber", "1000\n");
  run_checked({"mkdir", "-p", d + "/issued"});
  run_checked(new_ca_args(d + "/ca.key", d + "/ca.pem", "arkmq-test-ca"));
  ca_ = d + "/ca.pem";

  server_ = issue("server", "/CN=localhost", "server_ext", "");
  client_ = issue("edge-1", "/CN=edge-1", "client_ext", "");
  san_client_ = issue("alice", "/CN=alice", "client_san_ext", "");
  expired_ = issue("expired", "/CN=edge-expired", "client_ext",
                   "-startdate 20200101000000Z -enddate 20200102000000Z");
  revoked_ = issue("revoked", "/CN=edge-revoked", "client_ext", "");
  run_checked({"openssl", "ca", "-batch", "-config", d + "/ca.cnf", "-revoke", revoked_.cert});
  crl_ = d + "/crl.pem";
  run_checked({"openssl", "ca", "-batch", "-config", d + "/ca.cnf", "-gencrl", "-out", crl_});

  // Same subject as the good client, signed by a CA the broker does not trust.
  run_checked(new_ca_args(d + "/other-ca.key", d + "/other-ca.pem", "arkmq-other-ca"));
  other_ca_client_ = {d + "/other.pem", d + "/other.key"};
  run_checked({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", other_ca_client_.key, "-out",
               d + "/other.csr", "-subj", "/CN=edge-1"});
  run_checked({"openssl", "x509", "-req", "-in", d + "/other.csr", "-CA", d + "/other-ca.pem",
               "-CAkey", d + "/other-ca.key", "-CAcreateserial", "-days", "2", "-out",
               other_ca_client_.cert});
}

CertKey TestPki::issue_server(const std::string& name, const std::string& cn) {
  return issue(name, "/CN=" + cn, "server_ext", "");
}

std::string TestPki::revoke(const CertKey& cert, const std::string& name) {
  const std::string& d = dir_.path();
  run_checked({"openssl", "ca", "-batch", "-config", d + "/ca.cnf", "-revoke", cert.cert});
  const std::string out = d + "/" + name;
  run_checked({"openssl", "ca", "-batch", "-config", d + "/ca.cnf", "-gencrl", "-out", out});
  return out;
}

CertKey TestPki::issue(const std::string& name, const std::string& subject,
                       const std::string& extensions, const std::string& validity_args) {
  const std::string& d = dir_.path();
  CertKey result{d + "/" + name + ".pem", d + "/" + name + ".key"};
  run_checked({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", result.key, "-out",
               d + "/" + name + ".csr", "-subj", subject});
  std::vector<std::string> args{"openssl", "ca", "-batch", "-notext", "-config", d + "/ca.cnf",
                                "-extensions", extensions, "-in", d + "/" + name + ".csr",
                                "-out", result.cert};
  std::istringstream extra(validity_args);
  for (std::string word; extra >> word;) args.push_back(word);
  run_checked(args);
  return result;
}

}  // namespace arkmq::test
