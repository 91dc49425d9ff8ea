// A ClientLink in front of a connection's link that holds outgoing bytes until the durable
// state they acknowledge is committed (durable_state.hpp), keeping their order. Used only when
// persistence is on. Thread-safe: send/close/hold_until come from any thread holding the broker
// lock, the release from the store's writer thread (which never takes the broker lock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "broker/core/client_link.hpp"
#include "broker/core/durable_state.hpp"
#include "broker/core/lazy_deque.hpp"

namespace arkmq::core {

class BrokerState;

class DurableGate final : public ClientLink, public std::enable_shared_from_this<DurableGate> {
 public:
  using Ticket = DurableState::Ticket;

  // `durable` must outlive the gate's pending waits (the Broker owns it and outlives links).
  DurableGate(std::shared_ptr<ClientLink> inner, DurableState& durable);

  // Forwards at once when nothing is held, else holds behind what is held.
  void send(SharedBytes bytes) override;
  // The inner link's queue plus what is held here (so slow-consumer drops see both).
  std::size_t queued_bytes() const override;
  bool is_draining() const override { return inner_->is_draining(); }
  // Closes the inner link once everything held has been forwarded: an acknowledgement already
  // queued still goes out after its commit.
  void close() override;

  // Everything sent from now on waits until `ticket` is committed.
  void hold_until(Ticket ticket);

  std::size_t held_count() const;

 private:
  struct Held {
    Ticket ticket;
    SharedBytes bytes;
  };
  void wait_for(Ticket ticket);
  void on_committed(Ticket ticket);

  const std::shared_ptr<ClientLink> inner_;
  DurableState& durable_;
  mutable std::mutex mutex_;
  Ticket hold_ = 0;       // the ticket new bytes wait for; 0: none
  Ticket committed_ = 0;  // the highest ticket known committed
  bool waiting_ = false;  // a when_committed callback is registered
  LazyDeque<Held> held_;  // allocated on the first hold: most connections never wait
  std::size_t held_bytes_ = 0;
  bool close_pending_ = false;
};

// The gate for a new connection's link; null when persistence is off (no cost then).
std::shared_ptr<DurableGate> make_durable_gate(BrokerState& state,
                                               const std::shared_ptr<ClientLink>& link);

// Taken under the broker lock at the start of a handler's locked section: the reports made
// since then are this handler's (reports are only made under the broker lock).
class DurableMark {
 public:
  explicit DurableMark(BrokerState& state);
  // Makes what `gate` sends from now on (the handler's acknowledgement first) wait for the
  // commit of this handler's reports. No-op without persistence or without reports.
  void hold(DurableGate* gate) const;

 private:
  DurableState* durable_;
  DurableState::Ticket before_ = 0;
};

// A PUBLISH to `session` waits for the commit of its own record (just reported), so a
// QoS 2 message a subscriber has received is never sent again as a new message after a crash.
void hold_for_session(const Session& session);

}  // namespace arkmq::core
