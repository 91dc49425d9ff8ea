// Wills waiting for their Will Delay Interval [MQTT-3.1.3-9]: published when the delay passes
// or the session ends, whichever is first; dropped when the client reconnects to the session.
// Owned by BrokerData; touched only under the broker lock.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "broker/core/subscription_tree.hpp"
#include "broker/protocol/packets.hpp"

namespace arkmq::core {

struct PendingWill {
  SessionKey session = 0;
  std::string client_id;  // the origin of the will message (No Local)
  protocol::Will will;
  std::chrono::steady_clock::time_point fire_at;
  std::string principal;  // the session's; the will is authorized again when it fires
};

class WillScheduler {
 public:
  void schedule(PendingWill will);
  // Drops the session's pending will; false when it had none.
  bool cancel(SessionKey session);
  // Removes and returns the session's pending will (the session ends: publish it now).
  std::vector<PendingWill> take(SessionKey session);
  // Removes and returns the wills whose delay has passed, oldest first.
  std::vector<PendingWill> take_due(std::chrono::steady_clock::time_point now);
  std::size_t size() const { return pending_.size(); }

 private:
  std::vector<PendingWill> pending_;  // few at a time; a scan is cheaper than a heap here
};

}  // namespace arkmq::core
