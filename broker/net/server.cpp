// Server start and the graceful stop sequence.
#include "broker/net/server.hpp"

#include <future>

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

namespace arkmq::net {

namespace {

std::shared_ptr<spdlog::logger> or_default(std::shared_ptr<spdlog::logger> log) {
  return log ? std::move(log) : spdlog::default_logger();
}

}  // namespace

Server::Server(ServerOptions options, HandlerFactory factory)
    : options_([&] {
        options.log = or_default(std::move(options.log));
        return std::move(options);
      }()),
      factory_(std::move(factory)),
      workers_(options_.workers, options_.tick_interval, options_.log) {}

Server::~Server() {
  stop();
}

tl::expected<void, std::string> Server::start() {
  // Acceptors live on worker 0; accepted sockets are created on the worker they are given to.
  for (const auto& listener : options_.listeners) {
    auto opened = Listener::open(
        listener, Listener::Params{workers_.at(0).context(), workers_, factory_, options_.limits,
                                   options_.handshake_timeout, options_.log,
                                   options_.on_tls_failure, options_.connection_rate.get(),
                                   options_.on_ban});
    if (!opened) {
      listeners_.clear();
      return tl::unexpected(opened.error());
    }
    listeners_.push_back(std::move(*opened));
  }
  workers_.start();
  running_ = true;
  for (auto& listener : listeners_) {
    listener->start();
  }
  return {};
}

std::vector<std::string> Server::bound_urls() const {
  std::vector<std::string> out;
  out.reserve(listeners_.size());
  for (const auto& listener : listeners_) {
    out.push_back(listener->bound_url());
  }
  return out;
}

void Server::stop(const std::function<void()>& shutdown_hook) {
  if (!running_) {
    return;
  }
  running_ = false;

  // 1. No new connections. The acceptors belong to worker 0's thread.
  std::promise<void> closed;
  asio::post(workers_.at(0).context(), [this, &closed] {
    for (auto& listener : listeners_) {
      listener->close();
    }
    closed.set_value();
  });
  auto closed_future = closed.get_future();
  if (closed_future.wait_for(options_.stop_flush_timeout) != std::future_status::ready) {
    options_.log->warn("stop: the accept thread did not answer; stopping anyway");
  }

  // 2. The core says goodbye (v5 DISCONNECT) and closes its links.
  if (shutdown_hook) {
    shutdown_hook();
  }

  // 3. Everything else closes too; writes flush for a bounded time.
  workers_.close_all();
  if (!workers_.wait_for_no_connections(options_.stop_flush_timeout)) {
    options_.log->info("stop: {} connection(s) still flushing after {} ms; closing them",
                       workers_.connection_count(), options_.stop_flush_timeout.count());
  }
  workers_.stop();
}

}  // namespace arkmq::net
