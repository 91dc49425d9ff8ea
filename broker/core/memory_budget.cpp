// Memory budget: estimate, QoS 0 drop, offender disconnect down to the low-water mark.
#include "broker/core/memory_budget.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "broker/core/session_lifecycle.hpp"

namespace arkmq::core {

SessionMemory session_memory(Session& session) {
  SessionMemory memory;
  memory.queued_bytes = session.queued_bytes();
  for (const InFlight& entry : session.in_flight()) {
    if (entry.outbound.message) memory.in_flight_bytes += queue_cost(*entry.outbound.message);
  }
  if (const SessionBinding* binding = session.binding(); binding != nullptr && binding->link) {
    memory.link_bytes = binding->link->queued_bytes();
  }
  return memory;
}

MemoryEstimate estimate_memory(BrokerData& data) {
  MemoryEstimate estimate;
  data.sessions.for_each(
      [&](Session& session) { estimate.sessions_bytes += session_memory(session).total(); });
  estimate.retained_bytes = data.retained.bytes();
  return estimate;
}

namespace {

struct Offender {
  SessionKey key = 0;
  std::string client_id;
  SessionMemory memory;
};

}  // namespace

MemoryShedding enforce_memory_budget(BrokerData& data, const DeliveryContext& context) {
  MemoryShedding shed;
  const std::size_t budget = context.state.config().memory_budget_bytes;
  StatCounters& counters = context.state.counters();
  if (budget == 0) return shed;
  shed.before = estimate_memory(data).total();
  shed.after = shed.before;
  counters.memory.held_bytes.store(shed.before, std::memory_order_relaxed);
  if (shed.before <= budget) return shed;
  const std::size_t low_water = budget / 100 * kMemoryLowWaterPercent;

  // 1. QoS 0 first: it carries no delivery promise [MQTT-4.3.1].
  data.sessions.for_each([&](Session& session) {
    std::size_t freed = 0;
    const std::size_t dropped = session.remove_queued_if([&](const Outbound& out) {
      if (out.qos != protocol::QoS::at_most_once) return false;
      freed += queue_cost(*out.message);
      return true;
    });
    shed.qos0_dropped += dropped;
    shed.after -= std::min(freed, shed.after);
  });
  if (shed.qos0_dropped != 0) {
    StatCounters::add(counters.messages_dropped, shed.qos0_dropped);
    StatCounters::add(counters.memory.shed_messages, shed.qos0_dropped);
    spdlog::warn("memory budget: {} bytes held, budget {}: dropped {} queued QoS 0 message(s)",
                 shed.before, budget, shed.qos0_dropped);
  }

  // 2. The online clients holding the most, largest first, until under the low-water mark.
  if (shed.after > low_water) {
    std::vector<Offender> offenders;
    data.sessions.for_each([&](Session& session) {
      if (!session.is_online()) return;
      offenders.push_back(Offender{session.key(), session.client_id(), session_memory(session)});
    });
    std::sort(offenders.begin(), offenders.end(), [](const Offender& a, const Offender& b) {
      return a.memory.total() > b.memory.total();
    });
    for (const Offender& offender : offenders) {
      if (shed.after <= low_water || offender.memory.total() == 0) break;
      Session* session = data.sessions.find(offender.key);
      if (session == nullptr || !session->is_online()) continue;
      // Its queue goes too: a persistent session would otherwise keep the bytes after the
      // disconnect. In-flight messages stay (they are resent on resume) and stay counted.
      const std::size_t dropped = session->remove_queued_if([](const Outbound&) { return true; });
      shed.queued_dropped += dropped;
      StatCounters::add(counters.messages_dropped, dropped);
      StatCounters::add(counters.memory.shed_messages, dropped);
      StatCounters::add(counters.memory.shed_clients);
      spdlog::warn(
          "memory budget: {} bytes held, budget {}: disconnecting client '{}' holding {} bytes "
          "({} queued, {} unsent on the connection; {} queued message(s) dropped)",
          shed.after, budget, offender.client_id, offender.memory.total(),
          offender.memory.queued_bytes, offender.memory.link_bytes, dropped);
      shed.after -= std::min(offender.memory.queued_bytes + offender.memory.link_bytes, shed.after);
      shed.disconnected.push_back(offender.client_id);
      disconnect_online(data, *session, protocol::ReasonCode::quota_exceeded,
                        "memory budget exceeded", context);  // may destroy `session`
    }
  }
  counters.memory.held_bytes.store(shed.after, std::memory_order_relaxed);
  return shed;
}

}  // namespace arkmq::core
