// Transport: connect and handshake.
#include "tools/arkmq-bench/transport.hpp"

#include <netinet/in.h>
#include <openssl/ssl.h>

namespace arkmq::bench {

void Transport::async_open(const asio::ip::tcp::endpoint& endpoint, const std::string& host,
                           std::function<void(std::error_code)> done,
                           const std::optional<asio::ip::address>& source) {
  if (source) {
    auto& socket = stream_.next_layer();
    std::error_code ec;
    socket.open(endpoint.protocol(), ec);
    if (!ec) {
      const int one = 1;  // the port is picked by connect(), per destination: 28k per address
      ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      socket.bind(asio::ip::tcp::endpoint(*source, 0), ec);
    }
    if (ec) {
      std::error_code ignored;
      socket.close(ignored);
      return asio::post(socket.get_executor(), [done = std::move(done), ec] { done(ec); });
    }
  }
  stream_.next_layer().async_connect(
      endpoint, [this, host, done = std::move(done)](std::error_code ec) mutable {
        if (ec) return done(ec);
        std::error_code ignored;
        stream_.next_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
        if (!tls_) return done({});
        std::error_code parse_error;
        asio::ip::make_address(host, parse_error);
        if (parse_error) {  // a name, not an address literal: send it as SNI
          // SSL_set_tlsext_host_name without its macro's C cast.
          SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(host.c_str()));
        }
        if (verify_host_) stream_.set_verify_callback(asio::ssl::host_name_verification(host));
        stream_.async_handshake(asio::ssl::stream_base::client,
                                [done = std::move(done)](std::error_code hs) { done(hs); });
      });
}

void Transport::close() {
  std::error_code ignored;
  stream_.next_layer().close(ignored);
}

}  // namespace arkmq::bench
