// The network side of the broker: listeners plus the worker pool. Owned by main; start/stop from
// one controlling thread. Connections are driven by handlers from the HandlerFactory.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <tl/expected.hpp>

#include "broker/net/connection.hpp"
#include "broker/net/connection_handler.hpp"
#include "broker/net/listener.hpp"
#include "broker/net/worker_pool.hpp"

namespace arkmq::net {

struct ServerOptions {
  std::vector<ListenerOptions> listeners;
  std::size_t workers = 0;  // 0: one per hardware thread
  ConnectionLimits limits;
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds stop_flush_timeout{2000};
  std::chrono::milliseconds tick_interval{1000};
  std::shared_ptr<spdlog::logger> log;  // null: spdlog's default logger
  // A TLS handshake failed or timed out (peer, listener, tls and policy filled; no certificate
  // principal). Called on the socket's worker thread; must not block.
  TlsFailureHandler on_tls_failure = {};
  // Per source address connection-rate limit with bans, checked at accept (before TLS); null:
  // none. The server only reads it; the owner may read its counters for $SYS.
  std::shared_ptr<ConnectionRateLimiter> connection_rate;
  // A ban started (once per ban; `message` is the log line). Accept thread; must not block.
  BanHandler on_ban = {};
  // reload_tls closed a connection because the reloaded CRL revokes its client certificate
  // (peer, listener, tls, certificate principal filled). Called on reload_tls's thread.
  TlsFailureHandler on_tls_revoked = {};
};

// What Server::reload_tls did.
struct TlsReloadResult {
  std::size_t contexts = 0;  // TLS listeners now handshaking with a new context
  std::size_t revoked = 0;   // connections closed because the new CRL revokes their certificate
};

class Server {
 public:
  Server(ServerOptions options, HandlerFactory factory);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener (all or nothing), then starts the workers and the accept loops.
  tl::expected<void, std::string> start();

  // One per listener, in configuration order, with the bound ports: "mqtt://127.0.0.1:40123".
  std::vector<std::string> bound_urls() const;

  // The controlling thread, after start() (a SIGHUP reload). `listeners` are the configuration's
  // listeners again, same count, order and URLs as at start. Builds every TLS context first:
  // one that fails (a file that cannot be read, a key that does not match) is an error naming
  // the listener and file, and nothing changes. Then each listener's new handshakes use its new
  // context, identity and policy; open connections keep theirs, except those whose client
  // certificate the new CRL revokes: they are closed, logged and passed to on_tls_revoked.
  tl::expected<TlsReloadResult, std::string> reload_tls(
      const std::vector<ListenerOptions>& listeners);

  // Stops accepting, runs `shutdown_hook` (the core says goodbye and closes its links), closes
  // every connection, lets writes flush for up to stop_flush_timeout, then stops the workers.
  void stop(const std::function<void()>& shutdown_hook = {});

  std::size_t connection_count() const { return workers_.connection_count(); }
  std::size_t worker_count() const { return workers_.size(); }
  // For tests and statistics (Worker's counters).
  Worker& worker(std::size_t index) { return workers_.at(index); }

 private:
  ServerOptions options_;
  HandlerFactory factory_;
  WorkerPool workers_;
  std::vector<std::unique_ptr<Listener>> listeners_;  // after workers_: destroyed first
  bool running_ = false;
};

}  // namespace arkmq::net
