// Binding and the accept loop. Each accepted socket is created on its worker's io_context and set
// up there (TLS handshake or straight to a Connection).
#include "broker/net/listener.hpp"

#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>

#include "broker/net/listen_url.hpp"
#include "broker/net/tls_context.hpp"
#include "broker/net/tls_handshake.hpp"
#include "broker/net/worker_pool.hpp"

namespace arkmq::net {

tl::expected<std::unique_ptr<Listener>, std::string> Listener::open(const ListenerOptions& options,
                                                                    Params params) {
  auto url = parse_listen_url(options.url);
  if (!url) {
    return tl::unexpected(url.error());
  }
  std::shared_ptr<asio::ssl::context> tls;
  if (url->tls) {
    auto context = make_server_tls_context(options.tls);
    if (!context) {
      return tl::unexpected("listener " + options.url + ": " + context.error());
    }
    tls = *context;
  }

  std::error_code error;
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(url->host, error), url->port);
  asio::ip::tcp::acceptor acceptor(params.accept_context);
  auto failed = [&](const char* step) {
    return tl::unexpected("listener " + options.url + ": cannot " + step + ": " + error.message());
  };
  acceptor.open(endpoint.protocol(), error);
  if (error) {
    return failed("open the socket");
  }
  acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
  if (url->is_ipv6) {
    acceptor.set_option(asio::ip::v6_only(true), error);
  }
  acceptor.bind(endpoint, error);
  if (error) {
    return failed("bind");
  }
  acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return failed("listen");
  }
  url->port = acceptor.local_endpoint(error).port();
  auto bound = url->to_string();
  return std::unique_ptr<Listener>(new Listener(std::move(params), std::move(acceptor),
                                                std::move(bound), std::move(tls), options));
}

Listener::Listener(Params params, asio::ip::tcp::acceptor acceptor, std::string bound_url,
                   std::shared_ptr<asio::ssl::context> tls, const ListenerOptions& options)
    : params_(std::move(params)),
      acceptor_(std::move(acceptor)),
      retry_timer_(params_.accept_context),
      bound_url_(std::move(bound_url)),
      is_tls_(tls != nullptr),
      connection_params_(
          std::make_shared<const ConnectionParams>(ConnectionParams{params_.limits, params_.log})),
      settings_(Settings{std::move(tls), options.tls.identity, options.policy}) {}

void Listener::replace_settings(std::shared_ptr<asio::ssl::context> context, TlsIdentity identity,
                                core::ListenerPolicy policy) {
  auto settings = settings_.lock();
  if (is_tls_ && context) {
    settings->tls = std::move(context);
    settings->identity = identity;
  }
  settings->policy = policy;
}

void Listener::start() {
  asio::post(params_.accept_context, [this] { accept_next(); });
}

void Listener::close() {
  closed_ = true;
  retry_timer_.cancel();
  std::error_code ignored;
  acceptor_.close(ignored);
}

void Listener::accept_next() {
  if (closed_) {
    return;
  }
  Worker& worker = params_.workers.next();
  // Accepted straight onto the worker's io_context (TcpSocket is bound to its executor type).
  acceptor_.async_accept(worker.context(), [this, &worker](std::error_code error, TcpSocket socket) {
    on_accept(error, std::move(socket), worker);
  });
}

void Listener::on_accept(std::error_code error, TcpSocket socket, Worker& worker) {
  if (closed_ || error == asio::error::operation_aborted) {
    return;
  }
  if (error) {
    // Typically EMFILE: back off briefly instead of spinning on a failing accept.
    params_.log->warn("listener {}: accept failed: {}", bound_url_, error.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](std::error_code wait_error) {
      if (!wait_error) {
        accept_next();
      }
    });
    return;
  }
  if (!admit(socket)) {
    accept_next();
    return;
  }
  std::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);

  // The socket belongs to the worker's io_context: set it up on that thread. The task copies
  // what it needs, so it does not depend on this listener still existing.
  // The settings of this moment: a reload swapping them later does not touch this socket.
  Settings now = *settings_.lock();
  asio::post(worker.context(), [&worker, params = connection_params_, context = std::move(now.tls),
                                factory = &params_.factory, url = bound_url_,
                                identity = now.identity, policy = now.policy,
                                timeout = params_.handshake_timeout,
                                on_failure = params_.on_tls_failure, peers = tls_peers_,
                                socket = std::move(socket)]() mutable {
    if (context) {
      TlsHandshake::begin(TlsHandshake::Params{worker, std::move(params), std::move(context),
                                               *factory, url, identity, timeout, policy,
                                               std::move(on_failure), std::move(peers)},
                          std::move(socket));
      return;
    }
    core::ConnectionInfo info;
    info.listener = url;
    info.policy = policy;
    auto created = std::make_shared<Connection>(worker, std::move(params), Stream(std::move(socket)));
    created->start(*factory, std::move(info));
  });
  accept_next();
}

bool Listener::admit(TcpSocket& socket) {
  if (params_.connection_rate == nullptr || !params_.connection_rate->enabled()) {
    return true;
  }
  std::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  if (error) {
    return true;  // already gone; the connection fails on its own
  }
  const std::string address = endpoint.address().to_string();
  const auto decision = params_.connection_rate->on_attempt(address, Clock::now());
  if (decision.verdict == ConnectionRateLimiter::Verdict::allow) {
    return true;
  }
  if (decision.verdict == ConnectionRateLimiter::Verdict::banned_now) {
    const std::string message = params_.connection_rate->ban_message(address, decision);
    params_.log->info("{}", message);  // once per ban; refusals during it are only counted
    if (params_.on_ban) {
      core::ConnectionInfo info;
      info.peer = endpoint.address().is_v6()
                      ? "[" + address + "]:" + std::to_string(endpoint.port())
                      : address + ":" + std::to_string(endpoint.port());
      info.listener = bound_url_;
      info.tls = is_tls_;
      info.policy = settings_.lock()->policy;
      params_.on_ban(info, message);
    }
  }
  // Closed before the TLS handshake and before any MQTT byte: a banned peer costs an accept.
  std::error_code ignored;
  socket.close(ignored);
  return false;
}

}  // namespace arkmq::net
