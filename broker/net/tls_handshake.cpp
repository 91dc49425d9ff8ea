// Server-side TLS handshake with a deadline; on success hands the stream to a new Connection with
// the verified certificate principal, on failure logs the peer and OpenSSL's reason and closes.
#include "broker/net/tls_handshake.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "broker/net/tls_context.hpp"

namespace arkmq::net {

TlsHandshake::TlsHandshake(Params params, TcpSocket socket)
    : params_(std::move(params)),
      stream_(std::move(socket), *params_.connection.tls_context),
      deadline_(stream_.get_executor()) {
  std::error_code error;
  const auto endpoint = stream_.next_layer().remote_endpoint(error);
  if (!error) {
    const auto address = endpoint.address();
    peer_ = (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
            std::to_string(endpoint.port());
  } else {
    peer_ = "unknown";
  }
}

void TlsHandshake::start() {
  deadline_.expires_after(params_.timeout);
  deadline_.async_wait([self = shared_from_this()](std::error_code error) {
    if (!error) {
      self->timed_out_ = true;
      std::error_code ignored;
      self->stream_.next_layer().close(ignored);  // the handshake completes with an error
    }
  });
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](std::error_code error) {
                            self->on_handshake(error);
                          });
}

void TlsHandshake::report_failure(std::string_view reason) const {
  if (!params_.on_failure) return;
  core::ConnectionInfo info;
  info.peer = peer_;
  info.listener = params_.listener;
  info.tls = true;
  info.policy = params_.policy;
  params_.on_failure(info, reason);
}

void TlsHandshake::on_handshake(std::error_code error) {
  deadline_.cancel();
  auto& log = *params_.connection.log;
  if (timed_out_) {
    log.info("TLS handshake from {} on {} timed out after {} ms", peer_, params_.listener,
             params_.timeout.count());
    report_failure("handshake timed out");
    return;
  }
  if (error) {
    std::string reason = error.message();
    const long verify = SSL_get_verify_result(stream_.native_handle());
    if (verify != X509_V_OK) {
      reason += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
    }
    log.info("TLS handshake from {} on {} failed: {}", peer_, params_.listener, reason);
    report_failure(reason);
    std::error_code ignored;
    stream_.next_layer().close(ignored);
    return;
  }

  SSL* ssl = stream_.native_handle();
  if (params_.peers && params_.peers->revoked_since(ssl, params_.connection.tls_context.get())) {
    // A reload installed a CRL listing this certificate while the handshake ran.
    log.info("TLS handshake from {} on {} refused: certificate revoked by the reloaded CRL", peer_,
             params_.listener);
    report_failure("certificate revoked (CRL reloaded during the handshake)");
    std::error_code ignored;
    stream_.next_layer().close(ignored);
    return;
  }
  core::ConnectionInfo info;
  info.listener = params_.listener;
  info.tls = true;
  info.policy = params_.policy;
  info.certificate_principal = verified_certificate_principal(ssl, params_.identity);
  log.debug("TLS connection from {} on {} ({}, principal '{}')", peer_, params_.listener,
            SSL_get_version(stream_.native_handle()), info.certificate_principal.value_or(""));
  auto connection = std::make_shared<Connection>(params_.connection, std::move(stream_));
  if (params_.peers) {
    core::ConnectionInfo known = info;
    known.peer = peer_;
    params_.peers->add(connection, ssl, std::move(known));
  }
  connection->start(params_.factory, std::move(info));
}

}  // namespace arkmq::net
