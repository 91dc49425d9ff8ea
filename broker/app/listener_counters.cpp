// ListenerCounters: claimed slots are never released or renamed, so a reader that sees `used_`
// (acquire) may read every name below it without a lock.
#include "broker/app/listener_counters.hpp"

namespace arkmq::app {

ListenerCounters::ListenerCounters() { slots_.back().name = std::string(kOverflow); }

ListenerCounters::Counters& ListenerCounters::of(std::string_view listener) {
  std::size_t used = used_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < used; ++i) {
    if (slots_[i].name == listener) return slots_[i].counters;
  }
  std::lock_guard lock(claim_);
  used = used_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < used; ++i) {  // claimed meanwhile by another thread
    if (slots_[i].name == listener) return slots_[i].counters;
  }
  if (used == kMaxListeners) return slots_.back().counters;
  slots_[used].name = std::string(listener);
  used_.store(used + 1, std::memory_order_release);
  return slots_[used].counters;
}

std::vector<ListenerCounters::Values> ListenerCounters::values() const {
  const std::size_t used = used_.load(std::memory_order_acquire);
  std::vector<Values> out;
  const auto add = [&out](const Slot& slot) {
    const Counters& c = slot.counters;
    out.push_back({slot.name, c.accepted.load(std::memory_order_relaxed),
                   c.connected.load(std::memory_order_relaxed),
                   c.messages_in.load(std::memory_order_relaxed),
                   c.payload_bytes_in.load(std::memory_order_relaxed),
                   c.bytes_in.load(std::memory_order_relaxed),
                   c.bytes_out.load(std::memory_order_relaxed)});
  };
  for (std::size_t i = 0; i < used; ++i) add(slots_[i]);
  const Counters& overflow = slots_.back().counters;
  if (overflow.accepted.load(std::memory_order_relaxed) != 0 ||
      overflow.messages_in.load(std::memory_order_relaxed) != 0) {
    add(slots_.back());
  }
  return out;
}

}  // namespace arkmq::app
