// Session bookkeeping: packet ids, in-flight window, bounded queue; a durable session reports
// every change of them to the DurableState (durable_log.hpp).
#include "broker/core/session.hpp"

#include <algorithm>

#include "broker/core/durable_log.hpp"

namespace arkmq::core {

Session::Session(std::string client_id, SessionKey key)
    : client_id_(std::move(client_id)), key_(key) {}

void Session::set_will(std::optional<protocol::Will> will) {
  if (will) {
    will_ = std::make_unique<protocol::Will>(std::move(*will));
  } else {
    will_.reset();
  }
}

std::optional<protocol::Will> Session::take_will() {
  if (!will_) return std::nullopt;
  std::optional<protocol::Will> will(std::move(*will_));
  will_.reset();
  return will;
}

std::uint16_t Session::allocate_packet_id() {
  if (in_flight_ids_.size() >= 65535) return 0;
  // Ids cycle through 1..65535 so a just-freed id is not reused at once.
  for (;;) {
    const std::uint16_t id = next_packet_id_;
    next_packet_id_ = next_packet_id_ == 65535 ? 1 : static_cast<std::uint16_t>(next_packet_id_ + 1);
    if (!in_flight_ids_.contains(id)) return id;
  }
}

void Session::add_in_flight(InFlight entry) {
  in_flight_ids_.insert(entry.packet_id);
  in_flight_.push_back(std::move(entry));
  InFlight& added = in_flight_.back();
  if (durable_log_ != nullptr) save_message(added.outbound, added.packet_id, added.stage);
}

void Session::set_stage(InFlight& entry, InFlight::Stage stage) {
  entry.stage = stage;
  if (durable_log_ != nullptr) save_message(entry.outbound, entry.packet_id, stage);
}

void Session::save_message(Outbound& outbound, std::uint16_t packet_id, InFlight::Stage stage) {
  DurableState* state = durable_log_->state();
  if (state == nullptr) return;
  if (outbound.durable_id == 0) outbound.durable_id = durable_log_->next_message_id();
  state->save_message(DurableMessage{client_id_, outbound.durable_id, outbound, packet_id, stage});
}

void Session::discard(const Outbound& outbound) {
  if (durable_log_ == nullptr || outbound.durable_id == 0) return;
  if (DurableState* state = durable_log_->state()) state->remove_message(client_id_, outbound.durable_id);
}

void Session::add_inbound_qos2(std::uint16_t packet_id) {
  if (!inbound_qos2_.insert(packet_id) || durable_log_ == nullptr) return;
  if (DurableState* state = durable_log_->state()) state->add_inbound_qos2(client_id_, packet_id);
}

bool Session::remove_inbound_qos2(std::uint16_t packet_id) {
  if (!inbound_qos2_.erase(packet_id)) return false;
  if (durable_log_ == nullptr) return true;
  if (DurableState* state = durable_log_->state()) state->remove_inbound_qos2(client_id_, packet_id);
  return true;
}

InFlight* Session::find_in_flight(std::uint16_t packet_id) {
  if (!in_flight_ids_.contains(packet_id)) return nullptr;
  // Acks usually come in order, so the entry is near the front.
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                         [&](const InFlight& e) { return e.packet_id == packet_id; });
  return it == in_flight_.end() ? nullptr : &*it;
}

void Session::set_awaiting_resend(InFlight& entry, bool awaiting) {
  if (entry.awaiting_resend == awaiting) return;
  entry.awaiting_resend = awaiting;
  if (awaiting) {
    ++awaiting_resend_;
  } else {
    --awaiting_resend_;
  }
}

void Session::remove_in_flight(std::uint16_t packet_id) {
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                         [&](const InFlight& e) { return e.packet_id == packet_id; });
  if (it == in_flight_.end()) return;
  if (it->awaiting_resend) --awaiting_resend_;
  discard(it->outbound);
  in_flight_.erase(it);
  in_flight_ids_.erase(packet_id);
}

bool Session::enqueue(Outbound outbound, const QueueLimits& limits) {
  const std::size_t cost = queue_cost(*outbound.message);
  if (queue_.size() >= limits.max_messages || queued_bytes_ + cost > limits.max_bytes) {
    discard(outbound);  // a message put back after pop_queued is dropped now
    return false;
  }
  queued_bytes_ += cost;
  queue_.push_back(std::move(outbound));
  if (durable_log_ != nullptr) save_message(queue_.back(), 0, InFlight::Stage::awaiting_puback);
  return true;
}

Outbound Session::pop_queued() {
  Outbound front = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= queue_cost(*front.message);
  return front;
}

std::size_t Session::remove_expired(TimePoint now) {
  const std::size_t before = queue_.size();
  queue_.erase_if([&](const Outbound& o) {
    const bool expired = o.message->expires_at && *o.message->expires_at <= now;
    if (expired) {
      queued_bytes_ -= queue_cost(*o.message);
      discard(o);
    }
    return expired;
  });
  return before - queue_.size();
}

}  // namespace arkmq::core
