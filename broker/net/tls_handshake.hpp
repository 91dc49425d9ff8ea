// The TLS handshake of one accepted socket, under a deadline, before any handler exists: a failed
// or slow handshake is logged and costs nothing lasting. Runs on the socket's worker thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>

#include "broker/core/connection_info.hpp"
#include "broker/net/connection.hpp"
#include "broker/net/listener.hpp"
#include "broker/net/stream.hpp"
#include "broker/net/tls_settings.hpp"

namespace arkmq::net {

class TlsHandshake final : public std::enable_shared_from_this<TlsHandshake> {
 public:
  struct Params {
    Worker& worker;                                     // the socket's
    std::shared_ptr<const ConnectionParams> connection;  // for the connection made on success
    // The listener's context when the socket was accepted. The SSL object holds its own
    // reference to the SSL_CTX, so a reload that replaces the listener's never affects it.
    std::shared_ptr<asio::ssl::context> context;
    const HandlerFactory& factory;      // owned by the Server, outlives every handshake
    std::string listener;               // bound URL, for ConnectionInfo and logs
    TlsIdentity identity = TlsIdentity::cn;
    std::chrono::milliseconds timeout{10000};
    core::ListenerPolicy policy;        // the listener's, for ConnectionInfo
    TlsFailureHandler on_failure = {};  // may be empty
    // The listener's record of certificate-bearing connections (CRL reloads); may be null.
    std::shared_ptr<TlsPeerRegistry> peers = {};
  };

  // Worker thread: makes the SSL object on `socket` and starts the handshake.
  static void begin(Params params, TcpSocket socket);

  TlsHandshake(Params params, Stream stream, std::string peer);
  ~TlsHandshake();
  TlsHandshake(const TlsHandshake&) = delete;
  TlsHandshake& operator=(const TlsHandshake&) = delete;

 private:
  void start();
  void step();  // one SSL_do_handshake, then done, failed, or a readiness wait
  void on_failure(std::error_code error);
  void on_success();
  void report_failure(std::string_view reason) const;

  Params params_;
  Stream stream_;
  asio::steady_timer deadline_;
  std::string peer_;
  bool timed_out_ = false;
};

}  // namespace arkmq::net
