// The ClientLink handed to handlers and the core: forwards to the Connection while it exists and
// does nothing after. Holding it never keeps a socket (or its io_context's objects) alive, so the
// core may keep links past the server's life. Thread-safe like ClientLink.
#pragma once

#include <memory>

#include "broker/core/client_link.hpp"
#include "broker/net/connection.hpp"

namespace arkmq::net {

class WeakLink final : public core::ClientLink {
 public:
  explicit WeakLink(std::weak_ptr<Connection> connection) : connection_(std::move(connection)) {}

  void send(core::SharedBytes bytes) override {
    if (auto connection = connection_.lock()) {
      connection->send(std::move(bytes));
    }
  }
  std::size_t queued_bytes() const override {
    auto connection = connection_.lock();
    return connection ? connection->queued_bytes() : 0;
  }
  bool is_draining() const override {
    auto connection = connection_.lock();
    return connection && connection->is_draining();
  }
  void close() override {
    if (auto connection = connection_.lock()) {
      connection->close();
    }
  }

  // The connection while it is alive; for tests and diagnostics.
  std::shared_ptr<Connection> lock() const { return connection_.lock(); }

 private:
  std::weak_ptr<Connection> connection_;
};

}  // namespace arkmq::net
