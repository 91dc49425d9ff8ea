// How a TLS listener is configured: files, protocol and cipher choices, client certificates and
// which certificate field names the principal. Plain data, filled by broker/app.
#pragma once

#include <string>

namespace arkmq::net {

enum class ClientCertMode {
  none,      // never ask for a client certificate
  optional,  // ask; a presented certificate must verify; none is fine
  required,  // handshake fails without a verified client certificate
};

// Which field of a verified client certificate becomes ConnectionInfo::certificate_principal.
enum class TlsIdentity { cn, san_dns, san_email, san_uri };

struct TlsSettings {
  std::string cert_file;  // server certificate chain (PEM)
  std::string key_file;   // server private key (PEM)
  std::string ca_file;    // CA bundle that verifies client certificates; empty: no client certs
  std::string crl_file;   // optional CRL (PEM); client certificates are checked against it
  ClientCertMode client_certs = ClientCertMode::none;
  TlsIdentity identity = TlsIdentity::cn;
  std::string ciphers;       // TLS 1.2 cipher list (OpenSSL syntax); empty: OpenSSL's default
  std::string ciphersuites;  // TLS 1.3 ciphersuites; empty: OpenSSL's default
};

}  // namespace arkmq::net
