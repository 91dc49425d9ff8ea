// The global memory budget: an estimate of the memory the broker holds for clients (session
// queues and in-flight messages, bytes waiting in links, retained messages) and the shedding
// that brings it back under the budget. Called from Broker::tick, only under the broker lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/core/broker_state.hpp"
#include "broker/core/delivery.hpp"

namespace arkmq::core {

// What one session holds, for the estimate and the choice of offenders.
struct SessionMemory {
  std::size_t queued_bytes = 0;     // waiting in the session's queue (topic + payload)
  std::size_t in_flight_bytes = 0;  // sent, not yet acknowledged (kept for redelivery)
  std::size_t link_bytes = 0;       // encoded, waiting in the connection's send queue
  std::size_t total() const { return queued_bytes + in_flight_bytes + link_bytes; }
};
SessionMemory session_memory(Session& session);

// The estimate: shared messages are counted once per session holding them, so it errs high.
struct MemoryEstimate {
  std::size_t sessions_bytes = 0;  // sum of session_memory(...).total()
  std::size_t retained_bytes = 0;
  std::size_t total() const { return sessions_bytes + retained_bytes; }
};
MemoryEstimate estimate_memory(BrokerData& data);

struct MemoryShedding {
  std::size_t before = 0;  // the estimate when the tick started
  std::size_t after = 0;   // the estimate after shedding (counting disconnected links as freed)
  std::size_t qos0_dropped = 0;
  std::size_t queued_dropped = 0;  // QoS 1/2 messages dropped from disconnected offenders' queues
  std::vector<std::string> disconnected;  // client ids, largest first
};

// The low-water mark: shedding stops at this share of the budget, so the broker does not shed
// again at the next tick for the first few bytes.
inline constexpr std::size_t kMemoryLowWaterPercent = 90;

// Does nothing when config().memory_budget_bytes is 0 or the estimate is within it. Otherwise:
// 1. drops every queued QoS 0 message (counted as dropped); 2. while still above the low-water
// mark, disconnects the online client holding the most (v5: DISCONNECT 0x97 Quota exceeded;
// v3.1.1: the connection is closed) and drops its queued messages. Logs each shed client with
// its bytes; updates StatCounters (memory.*, messages_dropped).
MemoryShedding enforce_memory_budget(BrokerData& data, const DeliveryContext& context);

}  // namespace arkmq::core
