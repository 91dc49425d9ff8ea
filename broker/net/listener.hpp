// One listening socket (mqtt:// or mqtts://) and its accept loop. Accepted sockets go round
// robin to the workers. Opened on the caller's thread; the accept loop runs on `accept_context`.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/logger.h>
#include <tl/expected.hpp>

#include "broker/core/connection_info.hpp"
#include "broker/core/guarded.hpp"
#include "broker/net/connection.hpp"
#include "broker/net/connection_handler.hpp"
#include "broker/net/connection_rate_limiter.hpp"
#include "broker/net/tls_peers.hpp"
#include "broker/net/tls_settings.hpp"

namespace arkmq::net {

class WorkerPool;

// See ServerOptions::on_tls_failure.
using TlsFailureHandler =
    std::function<void(const core::ConnectionInfo& connection, std::string_view reason)>;
// See ServerOptions::on_ban.
using BanHandler =
    std::function<void(const core::ConnectionInfo& connection, std::string_view message)>;

struct ListenerOptions {
  std::string url;   // mqtt://HOST:PORT or mqtts://HOST:PORT; port 0 binds a free port
  TlsSettings tls;   // used by mqtts:// only
  core::ListenerPolicy policy;  // copied into every ConnectionInfo of this listener
};

class Listener {
 public:
  struct Params {
    asio::io_context& accept_context;
    WorkerPool& workers;
    const HandlerFactory& factory;
    ConnectionLimits limits;
    std::chrono::milliseconds handshake_timeout{10000};
    std::shared_ptr<spdlog::logger> log;
    TlsFailureHandler on_tls_failure = {};  // may be empty
    ConnectionRateLimiter* connection_rate = nullptr;  // null: no per-address rate limit
    BanHandler on_ban = {};                            // may be empty
  };

  // Parses the URL, builds the TLS context, binds and listens. Errors are one readable line.
  static tl::expected<std::unique_ptr<Listener>, std::string> open(const ListenerOptions& options,
                                                                    Params params);

  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The URL with the port actually bound, e.g. "mqtt://127.0.0.1:40123".
  const std::string& bound_url() const { return bound_url_; }

  void start();  // any thread: begins accepting on the accept context
  void close();  // accept context thread: stops accepting

  bool is_tls() const { return is_tls_; }
  // Any thread (a reload): new handshakes use `context` and `identity`, new connections carry
  // `policy`. Handshakes and connections already under way keep the context they started with
  // (their SSL object holds a reference), so swapping never pulls an SSL_CTX from under them.
  void replace_settings(std::shared_ptr<asio::ssl::context> context, TlsIdentity identity,
                        core::ListenerPolicy policy);
  // The TLS connections of this listener that presented a certificate (a reload's CRL walk).
  TlsPeerRegistry& tls_peers() { return *tls_peers_; }

 private:
  Listener(Params params, asio::ip::tcp::acceptor acceptor, std::string bound_url,
           std::shared_ptr<asio::ssl::context> tls, const ListenerOptions& options);
  void accept_next();
  void on_accept(std::error_code error, TcpSocket socket, Worker& worker);
  // The connection-rate check, before any TLS or MQTT byte: false when the socket was refused.
  bool admit(TcpSocket& socket);

  Params params_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::string bound_url_;
  // What a reload may replace; read once per accepted socket.
  struct Settings {
    std::shared_ptr<asio::ssl::context> tls;  // null for mqtt://
    TlsIdentity identity = TlsIdentity::cn;
    core::ListenerPolicy policy;
  };
  const bool is_tls_;
  // Limits and logger, shared by every connection of this listener.
  std::shared_ptr<const ConnectionParams> connection_params_;
  core::Guarded<Settings> settings_;
  std::shared_ptr<TlsPeerRegistry> tls_peers_ = std::make_shared<TlsPeerRegistry>();
  bool closed_ = false;
};

}  // namespace arkmq::net
