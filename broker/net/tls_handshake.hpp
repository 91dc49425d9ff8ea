// The TLS handshake of one accepted socket, under a deadline, before any handler exists: a failed
// or slow handshake is logged and costs nothing lasting. Runs on the socket's worker thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include "broker/core/connection_info.hpp"
#include "broker/net/connection.hpp"
#include "broker/net/listener.hpp"
#include "broker/net/tls_settings.hpp"

namespace arkmq::net {

class TlsHandshake final : public std::enable_shared_from_this<TlsHandshake> {
 public:
  struct Params {
    Connection::Params connection;      // for the connection created on success
    const HandlerFactory& factory;      // owned by the Server, outlives every handshake
    std::string listener;               // bound URL, for ConnectionInfo and logs
    TlsIdentity identity = TlsIdentity::cn;
    std::chrono::milliseconds timeout{10000};
    core::ListenerPolicy policy;        // the listener's, for ConnectionInfo
    TlsFailureHandler on_failure = {};  // may be empty
    // The listener's record of certificate-bearing connections (CRL reloads); may be null.
    std::shared_ptr<TlsPeerRegistry> peers = {};
  };

  TlsHandshake(Params params, TcpSocket socket);
  void start();

 private:
  void on_handshake(std::error_code error);
  void report_failure(std::string_view reason) const;

  Params params_;
  TlsStream stream_;
  asio::steady_timer deadline_;
  std::string peer_;
  bool timed_out_ = false;
};

}  // namespace arkmq::net
