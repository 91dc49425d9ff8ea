// Broker: the draining graceful stop (begin_drain / drain_settled / drain, see broker.hpp).
// Owned by the shutdown engineer. Called from the controlling thread (main's stop sequence)
// while the workers still run, so acknowledgements in flight keep arriving and are processed.
//
// Why: closing every link at once loses what is already on the wire. A publisher's PUBACK held
// by its durable gate until the commit never leaves, so the publisher (an arkmq-edge outbox)
// resends a message that was delivered; a subscriber's PUBACK not read yet makes the broker
// resend with DUP after the restart. Draining first stops new work, then waits until the acks
// owed in both directions have crossed the wire, bounded by the grace period.
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "broker/core/broker.hpp"
#include "broker/core/broker_state.hpp"
#include "broker/core/durable_gate.hpp"

namespace arkmq::core {
namespace {

// Between two looks at drain_settled(): short next to a commit or a round trip, long enough
// that the look (a pass over the sessions under the broker lock) does not crowd the workers.
constexpr std::chrono::milliseconds kPollInterval{5};

struct DrainCounts {
  std::size_t sessions_in_flight = 0;  // online sessions with a message awaiting an ack
  std::size_t gates_holding = 0;       // connections whose gate holds packets for a commit
  bool settled() const { return sessions_in_flight == 0 && gates_holding == 0; }
};

DrainCounts count_unsettled(BrokerData& data, bool stop_at_first) {
  DrainCounts counts;
  data.sessions.for_each([&](Session& session) {
    if (stop_at_first && !counts.settled()) return;
    const SessionBinding* binding = session.binding();
    if (binding == nullptr) return;
    // The gate's lock is taken under the broker lock, the order every handler's send uses.
    if (binding->gate != nullptr && binding->gate->held_count() != 0) ++counts.gates_holding;
    // Entries held over from an earlier connection and not resent on this one are owed to
    // the next connection anyway (the client cannot acknowledge what it never got).
    for (const InFlight& entry : session.in_flight()) {
      if (!entry.awaiting_resend) {
        ++counts.sessions_in_flight;
        break;
      }
    }
  });
  return counts;
}

}  // namespace

void Broker::begin_drain() {
  auto data = state_->lock();
  // Under the lock: a handler that took the lock before has finished (its ack is held by its
  // gate and counted by drain_settled); every handler after it sees the flag.
  state_->set_drain_begun();
}

bool Broker::drain_settled() const {
  auto data = state_->lock();
  return count_unsettled(*data, true).settled();
}

bool Broker::drain(std::chrono::milliseconds grace) {
  if (grace <= std::chrono::milliseconds::zero()) return false;
  const auto started = Clock::now();
  const auto deadline = started + grace;
  begin_drain();
  spdlog::info("shutdown: draining (no new work; waiting up to {} ms for acknowledgements)",
               grace.count());
  while (!drain_settled()) {
    if (Clock::now() >= deadline) {
      DrainCounts counts;
      {
        auto data = state_->lock();
        counts = count_unsettled(*data, false);
      }
      spdlog::warn("shutdown: grace period of {} ms over: {} session(s) still await "
                   "acknowledgements, {} connection(s) still hold acks for a commit",
                   grace.count(), counts.sessions_in_flight, counts.gates_holding);
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  spdlog::info("shutdown: drained in {} ms", took.count());
  return true;
}

}  // namespace arkmq::core
