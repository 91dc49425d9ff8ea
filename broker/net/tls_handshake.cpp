// Server-side TLS handshake with a deadline, driven step by step on the non-blocking socket; on
// success hands the stream to a new Connection with the verified certificate principal, on
// failure logs the peer and OpenSSL's reason and closes.
#include "broker/net/tls_handshake.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "broker/net/tls_context.hpp"
#include "broker/net/worker_pool.hpp"

namespace arkmq::net {

void TlsHandshake::begin(Params params, TcpSocket socket) {
  std::string peer = peer_text(socket);
  auto channel = TlsChannel::server(params.context->native_handle(), socket.native_handle());
  if (!channel) {
    params.connection->log->warn("TLS handshake from {} on {}: {}", peer, params.listener,
                                 channel.error());
    std::error_code ignored;
    socket.close(ignored);
    return;
  }
  auto handshake = std::make_shared<TlsHandshake>(
      std::move(params), Stream(std::move(socket), std::move(*channel)), std::move(peer));
  handshake->start();
}

TlsHandshake::TlsHandshake(Params params, Stream stream, std::string peer)
    : params_(std::move(params)),
      stream_(std::move(stream)),
      deadline_(params_.worker.context()),
      peer_(std::move(peer)) {
  params_.worker.handshake_started();
}

TlsHandshake::~TlsHandshake() {
  params_.worker.handshake_finished();  // its buffers are free now
}

void TlsHandshake::start() {
  deadline_.expires_after(params_.timeout);
  deadline_.async_wait([self = shared_from_this()](std::error_code error) {
    if (!error) {
      self->timed_out_ = true;
      self->stream_.close();  // the pending readiness wait completes with an error
    }
  });
  step();
}

void TlsHandshake::step() {
  const IoResult result = stream_.tls().handshake();
  switch (result.status) {
    case IoStatus::ready:
      on_success();
      return;
    case IoStatus::want_read:
    case IoStatus::want_write:
      stream_.wait(result.status, [self = shared_from_this()](std::error_code error) {
        if (error || self->timed_out_) {
          self->on_failure(error);
          return;
        }
        self->step();
      });
      return;
    case IoStatus::end:
      on_failure(result.error);
      return;
  }
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

void TlsHandshake::on_failure(std::error_code error) {
  deadline_.cancel();
  auto& log = *params_.connection->log;
  if (timed_out_) {
    log.info("TLS handshake from {} on {} timed out after {} ms", peer_, params_.listener,
             params_.timeout.count());
    report_failure("handshake timed out");
    return;
  }
  std::string reason = error.message();
  const long verify = SSL_get_verify_result(stream_.tls().native_handle());
  if (verify != X509_V_OK) {
    reason += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
  }
  log.info("TLS handshake from {} on {} failed: {}", peer_, params_.listener, reason);
  report_failure(reason);
  // OpenSSL already wrote its alert (if any) to the socket during the failed step.
  stream_.close();
}

void TlsHandshake::on_success() {
  deadline_.cancel();
  auto& log = *params_.connection->log;
  SSL* ssl = stream_.tls().native_handle();
  if (params_.peers && params_.peers->revoked_since(ssl, params_.context.get())) {
    // A reload installed a CRL listing this certificate while the handshake ran.
    log.info("TLS handshake from {} on {} refused: certificate revoked by the reloaded CRL", peer_,
             params_.listener);
    report_failure("certificate revoked (CRL reloaded during the handshake)");
    stream_.close();
    return;
  }
  core::ConnectionInfo info;
  info.listener = params_.listener;
  info.tls = true;
  info.policy = params_.policy;
  info.certificate_principal = verified_certificate_principal(ssl, params_.identity);
  log.debug("TLS connection from {} on {} ({}, principal '{}')", peer_, params_.listener,
            SSL_get_version(ssl), info.certificate_principal.value_or(""));
  auto connection =
      std::make_shared<Connection>(params_.worker, params_.connection, std::move(stream_));
  if (params_.peers) {
    core::ConnectionInfo known = info;
    known.peer = peer_;
    params_.peers->add(connection, ssl, std::move(known));
  }
  connection->start(params_.factory, std::move(info));
}

}  // namespace arkmq::net
