// Counters of the global memory budget (memory_budget.hpp), published under $SYS/broker/memory/.
// Owned by the quota-net engineer; relaxed atomics, read and written from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace arkmq::core {

struct MemoryCounters {
  std::atomic<std::uint64_t> held_bytes{0};     // the latest estimate (0 while the budget is off)
  std::atomic<std::uint64_t> shed_clients{0};   // clients disconnected to get under the budget
  std::atomic<std::uint64_t> shed_messages{0};  // queued messages dropped by the budget
};

// ("memory/held_bytes", "123"), ...: the $SYS topics under $SYS/broker/, with the broker-wide
// messages_dropped count ("messages/dropped": slow consumers, full queues, the budget).
inline std::vector<std::pair<std::string, std::string>> memory_sys_values(
    const MemoryCounters& counters, std::uint64_t budget_bytes, std::uint64_t messages_dropped) {
  const auto load = [](const std::atomic<std::uint64_t>& counter) {
    return std::to_string(counter.load(std::memory_order_relaxed));
  };
  return {{"memory/budget_bytes", std::to_string(budget_bytes)},
          {"memory/held_bytes", load(counters.held_bytes)},
          {"memory/shed_clients", load(counters.shed_clients)},
          {"memory/shed_messages", load(counters.shed_messages)},
          {"messages/dropped", std::to_string(messages_dropped)}};
}

}  // namespace arkmq::core
