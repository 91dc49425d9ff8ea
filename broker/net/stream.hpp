// The byte stream under a Connection: a non-blocking TCP socket, with TLS on it or not. Every
// operation moves what it can now and says what to wait for (IoResult); nothing blocks and
// nothing is buffered here. Used on the connection's worker thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "broker/net/io_result.hpp"
#include "broker/net/tls_channel.hpp"

namespace arkmq::net {

// Bound to its worker's io_context: 40 bytes, where a socket with a type-erased executor is 88.
using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

// "127.0.0.1:50412", "[::1]:50412"; "unknown" for an unset endpoint (port 0).
std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint);
// The socket's peer, as endpoint_text; "unknown" once it is gone.
std::string peer_text(const TcpSocket& socket);

class Stream {
 public:
  // `socket` is connected; `tls` (if any) was made on its descriptor (TlsChannel::server).
  explicit Stream(TcpSocket socket, TlsChannel tls = {});

  TcpSocket& socket() { return socket_; }
  bool is_tls() const { return static_cast<bool>(tls_); }
  TlsChannel& tls() { return tls_; }

  // Application bytes (decrypted for TLS). TCP: one receive; a short one means the socket had
  // nothing more (want_read), a full one that it may have more (ready).
  IoResult read(std::span<std::uint8_t> buffer);
  // Application bytes (encrypted for TLS): all of `data` (ready), or what fitted before the
  // socket filled up (want_write, or want_read for TLS).
  IoResult write(std::span<const std::uint8_t> data);
  // The orderly end of our direction: TLS close_notify, then the TCP FIN. Ready when done (also
  // when the socket failed: nothing more can be sent then either).
  IoResult shutdown_send();
  // After shutdown_send: raw bytes read and dropped, until the peer's FIN (end).
  IoResult discard(std::span<std::uint8_t> scratch);

  // Calls `handler(std::error_code)` once the socket is readable (want_read) or writable.
  template <class Handler>
  void wait(IoStatus until, Handler&& handler) {
    socket_.async_wait(until == IoStatus::want_write ? TcpSocket::wait_write : TcpSocket::wait_read,
                       std::forward<Handler>(handler));
  }

  void close();

 private:
  TcpSocket socket_;
  TlsChannel tls_;
};

}  // namespace arkmq::net
