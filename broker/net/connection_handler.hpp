// What a Connection drives: the protocol endpoint behind one socket (core::ClientConnection in
// the broker, a recording handler in tests). Called only from the connection's worker thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "broker/core/client_link.hpp"
#include "broker/core/connection_info.hpp"

namespace arkmq::net {

// The same clock as core::Clock; net does not include broker.hpp to stay independent of the core.
using Clock = std::chrono::steady_clock;

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;

  // Bytes read from the socket, in order. The span is valid only during the call.
  virtual void on_bytes(std::span<const std::uint8_t> data, Clock::time_point now) = 0;

  // About once a second, from the worker's timer.
  virtual void on_tick(Clock::time_point now) = 0;

  // The transport is gone or finished: called exactly once, after which the handler is destroyed.
  virtual void on_transport_closed() = 0;

  // True once the handler asked its link to close; the connection stops reading.
  virtual bool is_closing() const = 0;

  // Flow control: while this is a time in the future, the connection issues no read on the
  // socket (TCP back-pressure slows the peer). Checked after every on_bytes; at that time the
  // connection calls on_bytes with an empty span (so bytes the handler buffered are processed
  // even if the peer sends nothing more), then reads again.
  virtual std::optional<Clock::time_point> read_paused_until() const { return std::nullopt; }
};

// Called on the connection's worker thread once the transport is ready (after the TLS handshake).
using HandlerFactory = std::function<std::unique_ptr<ConnectionHandler>(
    core::ConnectionInfo info, std::shared_ptr<core::ClientLink> link)>;

}  // namespace arkmq::net
