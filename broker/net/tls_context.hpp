// Builds the OpenSSL server context of one TLS listener and reads the principal out of a verified
// client certificate. Contexts are built at startup; the principal is read on the worker thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <asio/ssl/context.hpp>
#include <tl/expected.hpp>

#include "broker/net/tls_settings.hpp"

namespace arkmq::net {

// TLS 1.2 minimum, the configured ciphers, certificate/key/CA/CRL loaded and checked. Errors name
// the file or setting and carry OpenSSL's reason.
tl::expected<std::shared_ptr<asio::ssl::context>, std::string> make_server_tls_context(
    const TlsSettings& settings);

// The identity of the peer of `ssl`, only when it presented a certificate that verified
// (SSL_get_verify_result == X509_V_OK). CN, or the first SAN entry of the configured kind.
std::optional<std::string> verified_certificate_principal(SSL* ssl, TlsIdentity identity);

// The oldest queued OpenSSL error as text (and clears the queue); "unknown" if none.
std::string take_openssl_error();

}  // namespace arkmq::net
