// Adapts core::ClientConnection (the sans-I/O MQTT endpoint) to net::ConnectionHandler, so the
// net layer never depends on the core's implementation. Called on the connection's worker thread.
#pragma once

#include <memory>

#include "broker/core/broker.hpp"
#include "broker/core/client_connection.hpp"
#include "broker/net/connection_handler.hpp"

namespace arkmq::app {

class CoreConnectionHandler final : public net::ConnectionHandler {
 public:
  CoreConnectionHandler(core::Broker& broker, core::ConnectionInfo info,
                        std::shared_ptr<core::ClientLink> link)
      : connection_(broker, std::move(info), std::move(link), core::Clock::now()) {}

  void on_bytes(std::span<const std::uint8_t> data, net::Clock::time_point now) override {
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
};

// The factory the net::Server calls for each new connection. `broker` outlives the server.
inline net::HandlerFactory core_handler_factory(core::Broker& broker) {
  return [&broker](core::ConnectionInfo info, std::shared_ptr<core::ClientLink> link) {
    return std::make_unique<CoreConnectionHandler>(broker, std::move(info), std::move(link));
  };
}

}  // namespace arkmq::app
