// A TCP or TLS byte stream to the broker (asio::ssl over OpenSSL for mqtts://). Owned by one
// connection, used only on its io_context's thread.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace arkmq::bench {

class Transport {
 public:
  // verify_host: check the broker certificate's name against the URL's host (not --insecure).
  Transport(asio::io_context& io, asio::ssl::context& tls_context, bool tls, bool verify_host)
      : stream_(io, tls_context), tls_(tls), verify_host_(verify_host) {}

  // TCP connect (TCP_NODELAY), then the TLS handshake for mqtts:// with SNI and host name check.
  // With `source`, the socket is bound to that address first (its port chosen at connect time,
  // IP_BIND_ADDRESS_NO_PORT, so each source address has the whole ephemeral port range).
  void async_open(const asio::ip::tcp::endpoint& endpoint, const std::string& host,
                  std::function<void(std::error_code)> done,
                  const std::optional<asio::ip::address>& source = std::nullopt);

  template <class Buffers, class Handler>
  void async_write(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      asio::async_write(stream_, buffers, std::forward<Handler>(handler));
    } else {
      asio::async_write(stream_.next_layer(), buffers, std::forward<Handler>(handler));
    }
  }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      stream_.async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      stream_.next_layer().async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  // Closes the socket now (no TLS close_notify: the broker has our DISCONNECT by then).
  void close();

 private:
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  bool tls_;
  bool verify_host_;
};

}  // namespace arkmq::bench
