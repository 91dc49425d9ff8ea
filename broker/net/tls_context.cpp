// OpenSSL details of TLS listeners: context setup (protocol floor, ciphers, verification, CRL)
// and principal extraction from the verified peer certificate.
#include "broker/net/tls_context.hpp"

#include <array>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace arkmq::net {

namespace {

tl::unexpected<std::string> fail(const std::string& what) {
  return tl::unexpected(what + ": " + take_openssl_error());
}

std::optional<std::string> asn1_to_utf8(const ASN1_STRING* value) {
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0 || utf8 == nullptr) {
    return std::nullopt;
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  // An embedded NUL would let "admin\0.evil" pass as "admin" to a C-string comparison.
  if (out.empty() || out.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> common_name(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) {
    return std::nullopt;
  }
  return asn1_to_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
}

std::optional<std::string> first_san(X509* cert, int type) {
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) {
    return std::nullopt;
  }
  std::optional<std::string> out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && !out; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != type) {
      continue;
    }
    // dNSName, rfc822Name and URI are all IA5String.
    out = asn1_to_utf8(name->d.ia5);
  }
  GENERAL_NAMES_free(names);
  return out;
}

// A certificate file without its chain makes OpenSSL complete the chain from the verify store
// on every handshake (an X509_verify_cert of our own certificate per connection). Built once
// here instead, from the same store: the same certificates go out, at no per-handshake cost.
// A file that carries its chain is left alone (it is sent as it is, never rebuilt).
void build_chain_once(SSL_CTX* ctx) {
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx, &chain);
  if (chain != nullptr && sk_X509_num(chain) > 0) {
    return;
  }
  // Errors are ignored as the per-handshake completion ignores them: what verifies is sent.
  (void)SSL_CTX_build_cert_chain(
      ctx, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR | SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR);
  ERR_clear_error();
}

}  // namespace

std::string take_openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown";
  }
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

tl::expected<std::shared_ptr<asio::ssl::context>, std::string> make_server_tls_context(
    const TlsSettings& settings) {
  ERR_clear_error();
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_compression |
                       asio::ssl::context::single_dh_use);
  // TLS 1.3 session tickets sent after each handshake: OpenSSL's default is 2 (for clients that
  // open connections in parallel); each costs a session copy, its encoding and encryption, about
  // 6% of a handshake's instructions. An MQTT client holds one connection, and one ticket still
  // lets it resume its next one.
  SSL_CTX_set_num_tickets(ctx, 1);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return fail("cannot set the TLS 1.2 minimum");
  }
  if (!settings.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1) {
    return fail("invalid tls_ciphers '" + settings.ciphers + "'");
  }
  if (!settings.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, settings.ciphersuites.c_str()) != 1) {
    return fail("invalid tls_ciphersuites '" + settings.ciphersuites + "'");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) != 1) {
    return fail("cannot load the TLS certificate '" + settings.cert_file + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("cannot load the TLS key '" + settings.key_file + "'");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail("the TLS key '" + settings.key_file + "' does not match the certificate");
  }

  if (settings.client_certs == ClientCertMode::none) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    build_chain_once(ctx);
    return context;
  }
  if (settings.ca_file.empty()) {
    return tl::unexpected(std::string("client certificates need a CA file (tls_ca)"));
  }
  if (SSL_CTX_load_verify_locations(ctx, settings.ca_file.c_str(), nullptr) != 1) {
    return fail("cannot load the TLS CA '" + settings.ca_file + "'");
  }
  // Tells clients which CAs we accept, so they pick the right certificate.
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings.ca_file.c_str())) {
    SSL_CTX_set_client_CA_list(ctx, names);
  }
  if (!settings.crl_file.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (lookup == nullptr ||
        X509_load_crl_file(lookup, settings.crl_file.c_str(), X509_FILETYPE_PEM) <= 0) {
      return fail("cannot load the TLS CRL '" + settings.crl_file + "'");
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  int mode = SSL_VERIFY_PEER;
  if (settings.client_certs == ClientCertMode::required) {
    mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  // Session resumption with client verification needs a context id, or OpenSSL refuses it.
  static constexpr unsigned char kSessionContext[] = "arkmq";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  build_chain_once(ctx);
  return context;
}

std::optional<std::string> verified_certificate_principal(SSL* ssl, TlsIdentity identity) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) {
    return std::nullopt;
  }
  switch (identity) {
    case TlsIdentity::cn:
      return common_name(cert);
    case TlsIdentity::san_dns:
      return first_san(cert, GEN_DNS);
    case TlsIdentity::san_email:
      return first_san(cert, GEN_EMAIL);
    case TlsIdentity::san_uri:
      return first_san(cert, GEN_URI);
  }
  return std::nullopt;
}

}  // namespace arkmq::net
