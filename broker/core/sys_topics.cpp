// $SYS topics.
#include "broker/core/sys_topics.hpp"

#include <chrono>
#include <memory>
#include <string>

#include "broker/core/router.hpp"

namespace arkmq::core {
namespace {

void publish_sys(BrokerData& data, std::string topic, std::string value,
                 const DeliveryContext& context) {
  auto message = std::make_shared<Message>();
  message->topic = std::move(topic);
  message->payload = std::move(value);
  message->retain = true;
  publish_message(data, message, context);
}

}  // namespace

void refresh_sys_topics(BrokerData& data, const DeliveryContext& context) {
  const auto interval = context.state.config().sys_interval;
  if (interval.count() == 0) return;
  if (data.next_sys_at && context.now < *data.next_sys_at) return;
  data.next_sys_at = context.now + interval;
  const StatCounters& counters = context.state.counters();
  const auto load = [](const std::atomic<std::uint64_t>& counter) {
    return std::to_string(counter.load(std::memory_order_relaxed));
  };
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
      context.now - data.started_at.value_or(context.now));
  publish_sys(data, "$SYS/broker/version", context.state.config().version, context);
  publish_sys(data, "$SYS/broker/uptime", std::to_string(uptime.count()), context);
  publish_sys(data, "$SYS/broker/clients/connected", std::to_string(data.clients_connected),
              context);
  publish_sys(data, "$SYS/broker/messages/received", load(counters.messages_received), context);
  publish_sys(data, "$SYS/broker/messages/sent", load(counters.messages_sent), context);
  publish_sys(data, "$SYS/broker/bytes/received", load(counters.bytes_received), context);
  publish_sys(data, "$SYS/broker/bytes/sent", load(counters.bytes_sent), context);
  publish_sys(data, "$SYS/broker/subscriptions/count", std::to_string(data.subscriptions.size()),
              context);
  publish_sys(data, "$SYS/broker/retained messages/count", std::to_string(data.retained.size()),
              context);
  for (auto& [name, value] : quota_sys_values(counters.quota)) {  // flow control
    publish_sys(data, "$SYS/broker/" + name, std::move(value), context);
  }
  for (auto& [name, value] : replay_sys_values(data.replay)) {  // edge replay duplicates
    publish_sys(data, "$SYS/broker/" + name, std::move(value), context);
  }
  for (auto& [name, value] :  // the memory budget
       memory_sys_values(counters.memory, context.state.config().memory_budget_bytes,
                         counters.messages_dropped.load(std::memory_order_relaxed))) {
    publish_sys(data, "$SYS/broker/" + name, std::move(value), context);
  }
  if (const SysExtra& extra = context.state.sys_extra()) {
    for (auto& [name, value] : extra()) {
      publish_sys(data, "$SYS/broker/" + name, std::move(value), context);
    }
  }
}

}  // namespace arkmq::core
