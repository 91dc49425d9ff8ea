// Holding outgoing bytes until their commit.
#include "broker/core/durable_gate.hpp"

#include <utility>
#include <vector>

#include "broker/core/broker_state.hpp"
#include "broker/core/durable_log.hpp"

namespace arkmq::core {

DurableGate::DurableGate(std::shared_ptr<ClientLink> inner, DurableState& durable)
    : inner_(std::move(inner)), durable_(durable) {}

void DurableGate::send(SharedBytes bytes) {
  std::lock_guard lock(mutex_);
  if (held_.empty() && hold_ <= committed_) {
    inner_->send(std::move(bytes));
    return;
  }
  held_bytes_ += bytes->size();
  held_.push_back(Held{hold_, std::move(bytes)});
}

std::size_t DurableGate::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return inner_->queued_bytes() + held_bytes_;
}

void DurableGate::close() {
  std::lock_guard lock(mutex_);
  if (held_.empty()) {
    inner_->close();
  } else {
    close_pending_ = true;
  }
}

void DurableGate::hold_until(Ticket ticket) {
  {
    std::lock_guard lock(mutex_);
    if (ticket <= hold_ || ticket <= committed_) return;
    hold_ = ticket;
    // One wait at a time: when it ends it waits again for the latest hold_, so a busy
    // connection costs one registration per group commit, not one per packet.
    if (waiting_) return;
    waiting_ = true;
  }
  wait_for(ticket);
}

void DurableGate::wait_for(Ticket ticket) {
  // Never under mutex_: `done` may run at once, on this thread, when the ticket is committed.
  durable_.when_committed(ticket, [weak = weak_from_this(), ticket] {
    if (auto gate = weak.lock()) gate->on_committed(ticket);
  });
}

void DurableGate::on_committed(Ticket ticket) {
  Ticket next = 0;
  {
    std::lock_guard lock(mutex_);
    if (ticket > committed_) committed_ = ticket;
    // Tickets commit in order, so everything waiting for `ticket` or less may go, in order.
    while (!held_.empty() && held_.front().ticket <= committed_) {
      held_bytes_ -= held_.front().bytes->size();
      inner_->send(std::move(held_.front().bytes));
      held_.pop_front();
    }
    if (held_.empty() && close_pending_) {
      close_pending_ = false;
      inner_->close();
    }
    waiting_ = hold_ > committed_;
    if (waiting_) next = hold_;
  }
  if (next != 0) wait_for(next);
}

std::size_t DurableGate::held_count() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

std::shared_ptr<DurableGate> make_durable_gate(BrokerState& state,
                                               const std::shared_ptr<ClientLink>& link) {
  DurableState* durable = state.durable();
  if (durable == nullptr) return nullptr;
  return std::make_shared<DurableGate>(link, *durable);
}

DurableMark::DurableMark(BrokerState& state)
    : durable_(state.durable()), before_(durable_ != nullptr ? durable_->last_ticket() : 0) {}

void DurableMark::hold(DurableGate* gate) const {
  if (durable_ == nullptr || gate == nullptr) return;
  const DurableState::Ticket now = durable_->last_ticket();
  if (now != before_) gate->hold_until(now);
}

void hold_for_session(const Session& session) {
  const DurableLog* log = session.durable_log();
  const SessionBinding* binding = session.binding();
  if (log == nullptr || log->state() == nullptr || binding == nullptr || binding->gate == nullptr) {
    return;
  }
  binding->gate->hold_until(log->state()->last_ticket());
}

}  // namespace arkmq::core
