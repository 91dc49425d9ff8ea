// Adapts core::ClientConnection (the sans-I/O MQTT endpoint) to net::ConnectionHandler, so the
// net layer never depends on the core's implementation. Called on the connection's worker thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "broker/core/broker.hpp"
#include "broker/core/client_connection.hpp"
#include "broker/net/connection_handler.hpp"

namespace arkmq::app {

class CoreConnectionHandler final : public net::ConnectionHandler {
 public:
  // `bytes_in`, when set, counts the bytes read (a listener's metrics counter, which outlives
  // the handler): metering lives here rather than in a wrapper, one allocation per connection.
  CoreConnectionHandler(core::Broker& broker, core::ConnectionInfo info,
                        std::shared_ptr<core::ClientLink> link,
                        std::atomic<std::uint64_t>* bytes_in = nullptr)
      : connection_(broker, std::move(info), std::move(link), core::Clock::now()),
        bytes_in_(bytes_in) {}

  void on_bytes(std::span<const std::uint8_t> data, net::Clock::time_point now) override {
    if (bytes_in_ != nullptr) bytes_in_->fetch_add(data.size(), std::memory_order_relaxed);
    connection_.on_bytes(data, now);
  }
  void on_tick(net::Clock::time_point now) override { connection_.on_tick(now); }
  void on_transport_closed() override { connection_.on_transport_closed(); }
  bool is_closing() const override { return connection_.is_closing(); }
  std::optional<net::Clock::time_point> read_paused_until() const override {
    return connection_.read_paused_until();
  }

 private:
  core::ClientConnection connection_;
  std::atomic<std::uint64_t>* bytes_in_;
};

// The factory the net::Server calls for each new connection (converts to net::HandlerFactory).
// A type of its own so that metered() (metered_handler.hpp) can build metered core handlers
// directly instead of wrapping them. `broker` outlives the server.
struct CoreHandlerFactory {
  core::Broker* broker;

  std::unique_ptr<net::ConnectionHandler> operator()(core::ConnectionInfo info,
                                                     std::shared_ptr<core::ClientLink> link) const {
    return std::make_unique<CoreConnectionHandler>(*broker, std::move(info), std::move(link));
  }
};

inline CoreHandlerFactory core_handler_factory(core::Broker& broker) {
  return CoreHandlerFactory{&broker};
}

}  // namespace arkmq::app
