// Bytes in and out per listener, metered in the app layer: every connection's handler and link
// are wrapped so that what the net layer reads (on_bytes) and what the core sends (ClientLink::
// send) is added to its listener's counters (Metrics). Worker threads; relaxed atomics only.
// Owner: ops-metrics.
#pragma once

#include <memory>
#include <utility>

#include "broker/app/core_handler.hpp"
#include "broker/app/metrics.hpp"
#include "broker/core/client_link.hpp"
#include "broker/net/connection_handler.hpp"

namespace arkmq::app {

// Counts the bytes the core queues for one connection, then passes them on.
class MeteredLink final : public core::ClientLink {
 public:
  MeteredLink(std::shared_ptr<core::ClientLink> inner, ListenerCounters::Counters& counters)
      : inner_(std::move(inner)), counters_(counters) {}

  void send(core::SharedBytes bytes) override {
    if (bytes) counters_.bytes_out.fetch_add(bytes->size(), std::memory_order_relaxed);
    inner_->send(std::move(bytes));
  }
  std::size_t queued_bytes() const override { return inner_->queued_bytes(); }
  void close() override { inner_->close(); }
  bool is_draining() const override { return inner_->is_draining(); }

 private:
  std::shared_ptr<core::ClientLink> inner_;
  ListenerCounters::Counters& counters_;  // lives as long as the Metrics
};

// Counts the bytes read for one connection, then hands them to the real handler (any handler;
// the broker's own core handlers count for themselves, see the overload of metered() below).
class MeteredHandler final : public net::ConnectionHandler {
 public:
  MeteredHandler(std::unique_ptr<net::ConnectionHandler> inner,
                 ListenerCounters::Counters& counters)
      : inner_(std::move(inner)), counters_(counters) {}

  void on_bytes(std::span<const std::uint8_t> data, net::Clock::time_point now) override {
    counters_.bytes_in.fetch_add(data.size(), std::memory_order_relaxed);
    inner_->on_bytes(data, now);
  }
  void on_tick(net::Clock::time_point now) override { inner_->on_tick(now); }
  void on_transport_closed() override { inner_->on_transport_closed(); }
  bool is_closing() const override { return inner_->is_closing(); }
  std::optional<net::Clock::time_point> read_paused_until() const override {
    return inner_->read_paused_until();
  }

 private:
  std::unique_ptr<net::ConnectionHandler> inner_;
  ListenerCounters::Counters& counters_;
};

// `factory` with every handler and link metered into `metrics` (which outlives the server).
inline net::HandlerFactory metered(net::HandlerFactory factory, std::shared_ptr<Metrics> metrics) {
  return [factory = std::move(factory), metrics = std::move(metrics)](
             core::ConnectionInfo info, std::shared_ptr<core::ClientLink> link)
             -> std::unique_ptr<net::ConnectionHandler> {
    ListenerCounters::Counters& counters = metrics->listener_counters(info.listener);
    auto inner = factory(std::move(info), std::make_shared<MeteredLink>(std::move(link), counters));
    return std::make_unique<MeteredHandler>(std::move(inner), counters);
  };
}

// The broker's core handlers metered into `metrics`: the handler counts the bytes read itself,
// so each connection costs one handler allocation, not a handler plus a wrapper (issue 7).
inline net::HandlerFactory metered(CoreHandlerFactory factory, std::shared_ptr<Metrics> metrics) {
  return [factory, metrics = std::move(metrics)](core::ConnectionInfo info,
                                                 std::shared_ptr<core::ClientLink> link)
             -> std::unique_ptr<net::ConnectionHandler> {
    ListenerCounters::Counters& counters = metrics->listener_counters(info.listener);
    return std::make_unique<CoreConnectionHandler>(
        *factory.broker, std::move(info),
        std::make_shared<MeteredLink>(std::move(link), counters), &counters.bytes_in);
  };
}

}  // namespace arkmq::app
