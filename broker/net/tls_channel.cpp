// OpenSSL calls of a TlsChannel and the mapping of SSL_get_error to waits and ends.
// Modes, and why:
// - RELEASE_BUFFERS: the 17 KiB read and write buffers are freed whenever they hold nothing, so
//   an idle connection keeps no record buffer at all.
// - ENABLE_PARTIAL_WRITE: SSL_write returns after each record it wrote, so a write that stops on
//   a full socket reports exactly what went out and the connection releases it.
// - ACCEPT_MOVING_WRITE_BUFFER: the retry after WANT_WRITE starts at the unwritten bytes, which
//   the connection may have moved to the front of its buffer.
// - AUTO_RETRY (OpenSSL 3's default, set to be explicit): after a non-application record (a
//   TLS 1.3 KeyUpdate, a ticket) SSL_read carries on reading, so WANT_READ means the socket has
//   nothing more. The reactor is edge-triggered: waiting for readiness is only safe then.
#include "broker/net/tls_channel.hpp"

#include <cerrno>

#include <asio/error.hpp>
#include <asio/ssl/error.hpp>
#include <openssl/err.h>

namespace arkmq::net {

tl::expected<TlsChannel, std::string> TlsChannel::server(SSL_CTX* context, int fd) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context);
  if (ssl == nullptr) {
    return tl::unexpected(std::string("SSL_new failed"));
  }
  TlsChannel channel(ssl);
  // SSL_set_fd wraps the descriptor in a socket BIO without BIO_CLOSE: the asio socket keeps
  // owning (and closes) it.
  if (SSL_set_fd(ssl, fd) != 1) {
    ERR_clear_error();
    return tl::unexpected(std::string("SSL_set_fd failed"));
  }
  SSL_set_accept_state(ssl);
  SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                        SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
  return channel;
}

IoResult TlsChannel::outcome(int ret, int saved_errno) const {
  // The error queue is thread-local and was cleared before the call: what it holds is this
  // call's. It is emptied here so the next call starts clean (SSL_get_error relies on that).
  const int kind = SSL_get_error(ssl_.get(), ret);
  switch (kind) {
    case SSL_ERROR_WANT_READ:
      return {0, IoStatus::want_read, {}};
    case SSL_ERROR_WANT_WRITE:
      return {0, IoStatus::want_write, {}};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      return {0, IoStatus::end, asio::error::eof};
    default:
      break;
  }
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code != 0) {
    // asio's SSL category renders OpenSSL's reason ("wrong version number", "unexpected eof
    // while reading", "certificate verify failed"), the texts the logs and audit rows had.
    return {0, IoStatus::end, std::error_code(static_cast<int>(code), asio::error::get_ssl_category())};
  }
  if (kind == SSL_ERROR_SYSCALL && saved_errno != 0) {
    return {0, IoStatus::end, std::error_code(saved_errno, std::system_category())};
  }
  return {0, IoStatus::end, asio::error::eof};  // a TCP end without close_notify
}

IoResult TlsChannel::handshake() {
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_.get());
  const int saved_errno = errno;
  if (ret == 1) {
    return {0, IoStatus::ready, {}};
  }
  return outcome(ret, saved_errno);
}

IoResult TlsChannel::read(std::span<std::uint8_t> buffer) {
  ERR_clear_error();
  std::size_t total = 0;
  // Read on until WANT_READ: the socket may hold further records, and no readiness edge comes
  // for bytes that were already there. A full buffer stops early (ready: call again).
  while (total < buffer.size()) {
    std::size_t size = 0;
    const int ret = SSL_read_ex(ssl_.get(), buffer.data() + total, buffer.size() - total, &size);
    const int saved_errno = errno;
    if (ret == 1) {
      total += size;
      continue;
    }
    IoResult result = outcome(ret, saved_errno);
    if (total > 0 && result.status == IoStatus::end) {
      // Hand over what arrived before the end first. The end is sticky: OpenSSL reports the
      // close_notify (or the failure) again on the next call.
      return {total, IoStatus::ready, {}};
    }
    result.bytes = total;
    return result;
  }
  return {total, IoStatus::ready, {}};
}

IoResult TlsChannel::write(std::span<const std::uint8_t> data) {
  ERR_clear_error();
  std::size_t total = 0;
  while (total < data.size()) {
    std::size_t size = 0;
    const int ret = SSL_write_ex(ssl_.get(), data.data() + total, data.size() - total, &size);
    const int saved_errno = errno;
    if (ret == 1) {
      total += size;  // one record (partial write mode)
      continue;
    }
    IoResult result = outcome(ret, saved_errno);
    result.bytes = total;
    return result;
  }
  return {total, IoStatus::ready, {}};
}

IoResult TlsChannel::shutdown() {
  ERR_clear_error();
  // 0: our close_notify is out, the peer's not seen yet; 1: both. Either way we are done here:
  // the connection reads (and drops) what the peer still sends until its FIN.
  const int ret = SSL_shutdown(ssl_.get());
  const int saved_errno = errno;
  if (ret >= 0) {
    return {0, IoStatus::ready, {}};
  }
  return outcome(ret, saved_errno);
}

}  // namespace arkmq::net
