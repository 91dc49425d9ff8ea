// Server-side TLS driven straight on a non-blocking socket: the SSL object reads and writes the
// descriptor itself (no memory BIOs, no staging buffers). Owned by one connection, used on its
// worker thread only. Eight bytes; its buffers are released whenever the connection is idle.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <openssl/ssl.h>
#include <tl/expected.hpp>

#include "broker/net/io_result.hpp"

namespace arkmq::net {

class TlsChannel {
 public:
  TlsChannel() = default;  // no TLS: a plain TCP connection

  // A server SSL of `context` (it takes its own reference, so a reload replacing the listener's
  // context never affects this channel) on the connected socket `fd`, which must be
  // non-blocking and outlive the channel (not owned: never closed here).
  static tl::expected<TlsChannel, std::string> server(SSL_CTX* context, int fd);

  explicit operator bool() const { return ssl_ != nullptr; }
  SSL* native_handle() const { return ssl_.get(); }

  // One step of the handshake: ready once done, or what to wait for, or end with the reason.
  IoResult handshake();
  // Decrypted bytes into `buffer`, record after record until it is full (ready: call again, more
  // may be buffered here or in the socket) or the socket has nothing more (want_read). Bytes
  // read before an end are returned first (ready); the next call reports the end.
  IoResult read(std::span<std::uint8_t> buffer);
  // Encrypts and writes `data` record by record. On want_write/want_read, `bytes` were written
  // and the next call must start with the rest (the bytes that follow, at any address).
  IoResult write(std::span<const std::uint8_t> data);
  // Sends our close_notify (ready once it is out); the peer's is not waited for.
  IoResult shutdown();

 private:
  struct Free {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  explicit TlsChannel(SSL* ssl) : ssl_(ssl) {}
  // Maps the failed call's result (`ret`, with errno saved right after it) to a wait or an end,
  // taking OpenSSL's error queue.
  IoResult outcome(int ret, int saved_errno) const;

  std::unique_ptr<SSL, Free> ssl_;
};

}  // namespace arkmq::net
