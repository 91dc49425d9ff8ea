// Flow-control enforcement: per-principal limits applied at the handlers' call sites. The wire
// behaviour per limit and protocol version is in docs/flow-control.md.
#include "broker/core/quota_enforcement.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker/core/router.hpp"

namespace arkmq::core {
namespace {

using protocol::QoS;
using protocol::ReasonCode;

// The principal's limit when it sets one and it is tighter, else the broker-wide bound.
template <typename T>
T tighter(T broker_wide, T own) {
  return own == 0 ? broker_wide : std::min(broker_wide, own);
}

QuotaCounters& quota_counters(BrokerState& state) { return state.counters().quota; }

// The principal's limits from the provider (none without one); marks the quota fetched.
ClientLimits fetch(ConnectionState& c) {
  LimitsProvider* provider = c.state.limits();
  if (provider == nullptr) return {};
  // Read before the fetch: a change made meanwhile is seen (and fetched) at the next check.
  c.quota.generation = provider->generation();
  c.quota.fetched = true;
  return provider->limits_for(c.principal);
}

std::string_view verdict_name(QuotaVerdict verdict) {
  return verdict == QuotaVerdict::rate_exceeded ? "message rate" : "bandwidth";
}

}  // namespace

std::string_view to_string(QuotaKind kind) {
  switch (kind) {
    case QuotaKind::message_rate: return "message_rate";
    case QuotaKind::bandwidth: return "bandwidth";
    case QuotaKind::receive_maximum: return "receive_maximum";
    case QuotaKind::packet_size: return "packet_size";
    case QuotaKind::queue: return "queue";
    case QuotaKind::subscriptions: return "subscriptions";
    case QuotaKind::connections: return "connections";
    case QuotaKind::retained: return "retained";
  }
  return "message_rate";
}

void apply_connect_limits(ConnectionState& c) {
  c.quota.start(fetch(c), c.now);
  const ClientLimits& own = c.quota.limits();
  c.quota.receive_maximum = tighter(c.config.receive_maximum, own.receive_maximum);
  c.quota.max_packet_size = tighter(c.config.max_packet_size, own.max_packet_size);
}

bool may_connect(ConnectionState& c, BrokerData& data) {
  const std::size_t max = c.quota.limits().max_connections;
  if (max == 0) return true;
  const std::size_t online = data.principal_quotas.online(c.principal);
  if (online < max) return true;
  QuotaCounters::add(quota_counters(c.state).refused_connections);
  c.events().quota_hit(c.identity(), QuotaKind::connections,
                       fmt::format("connection refused: {} of at most {} connection(s) online",
                                   online, max));
  return false;
}

void count_online(ConnectionState& c, BrokerData& data) {
  if (c.quota.counted_online) return;
  data.principal_quotas.add_online(c.principal);
  c.quota.counted_online = true;
}

void uncount_online(ConnectionState& c, BrokerData& data) {
  if (!c.quota.counted_online) return;
  data.principal_quotas.remove_online(c.principal);
  c.quota.counted_online = false;
}

void refresh_limits(ConnectionState& c) {
  if (!c.quota.fetched) return;
  LimitsProvider* provider = c.state.limits();
  if (provider->generation() == c.quota.generation) return;  // the common case: one load
  // Receive Maximum and Maximum Packet Size were announced in CONNACK: they stay as they are
  // for this connection. The rest applies from the next packet on.
  c.quota.update(fetch(c), c.now);
}

namespace {

// The rate check; fills `decision` for a v5 refusal.
void check_rates(ConnectionState& c, const protocol::Publish& publish,
                 PublishQuotaDecision& decision) {
  PublishQuota* quota = c.quota.publish();  // null: no rate limits of the principal's own
  const QuotaVerdict verdict =
      quota != nullptr ? quota->check_publish(c.quota.packet_size, c.now) : QuotaVerdict::ok;
  if (verdict == QuotaVerdict::ok) {
    c.quota.consecutive_refusals = 0;
    return;
  }
  QuotaCounters& counters = quota_counters(c.state);
  const bool rate = verdict == QuotaVerdict::rate_exceeded;
  QuotaCounters::add(rate ? counters.rate_exceeded : counters.quota_exceeded);
  const QuotaKind kind = rate ? QuotaKind::message_rate : QuotaKind::bandwidth;
  const PublishLimits& limits = c.quota.limits().publish;
  const std::string limit = rate ? fmt::format("{} msgs/s", limits.msgs_per_s)
                                 : fmt::format("{} bytes/s", limits.bytes_per_s);
  if (!c.is_v5()) {
    // MQTT 3.1.1 has no way to refuse a PUBLISH: it was read, so it is charged and routed, and
    // the net layer stops reading until the buckets admit a message again (TCP back-pressure).
    quota->charge(c.quota.packet_size, c.now);
    const auto pause = quota->time_until_next(c.now);
    c.read_paused_until = c.now + pause;
    QuotaCounters::add(counters.read_paused);
    c.events().quota_hit(
        c.identity(), kind,
        fmt::format("{} over {}: reading paused for {} ms (v3.1.1), topic '{}'",
                    verdict_name(verdict), limit,
                    std::chrono::duration_cast<std::chrono::milliseconds>(pause).count(),
                    publish.topic));
    return;
  }
  // 0x96 is valid in DISCONNECT only; a PUBACK/PUBREC says 0x97 [MQTT 5 3.4.2.1, 3.5.2.1].
  decision.reason = ReasonCode::quota_exceeded;
  if (publish.qos == QoS::at_most_once) QuotaCounters::add(counters.dropped);
  const std::uint32_t after = c.config.quota_disconnect_after;
  if (++c.quota.consecutive_refusals >= after && after != 0) {
    decision.disconnect = reason_code(verdict);
    QuotaCounters::add(counters.disconnected);
  }
  c.events().quota_hit(
      c.identity(), kind,
      fmt::format("{} over {}: publish {}, qos {}, topic '{}'{}", verdict_name(verdict), limit,
                  publish.qos == QoS::at_most_once ? "dropped" : "refused (0x97)",
                  static_cast<int>(publish.qos), publish.topic,
                  decision.disconnect
                      ? fmt::format(", DISCONNECT 0x{:02X} after {} refusals in a row",
                                    static_cast<unsigned>(*decision.disconnect), after)
                      : std::string()));
}

// Over the principal's retained limits: not stored (v5 QoS 1/2: refused).
void check_retained(ConnectionState& c, BrokerData& data, protocol::Publish& publish,
                    PublishQuotaDecision& decision) {
  const ClientLimits& own = c.quota.limits();
  if (!publish.retain || publish.payload.empty() || !c.config.retain_available ||
      (own.max_retained == 0 && own.max_retained_bytes == 0)) {
    return;
  }
  const auto over = [&](const PrincipalQuotas::Held& held) {
    return (own.max_retained != 0 && held.count > own.max_retained) ||
           (own.max_retained_bytes != 0 && held.bytes > own.max_retained_bytes);
  };
  const std::size_t cost = publish.topic.size() + publish.payload.size();
  PrincipalQuotas& principals = data.principal_quotas;
  auto held = principals.retained_if_set(c.principal, publish.topic, cost);
  if (over(held)) {
    principals.reconcile_retained(c.principal, data.retained);
    held = principals.retained_if_set(c.principal, publish.topic, cost);
  }
  if (!over(held)) return;
  QuotaCounters::add(quota_counters(c.state).retained_refused);
  const bool refuse = c.is_v5() && publish.qos != QoS::at_most_once;
  c.events().quota_hit(c.identity(), QuotaKind::retained,
                       fmt::format("retained message not stored ({} messages / {} bytes would be "
                                   "held, limits {} / {}), topic '{}'{}",
                                   held.count, held.bytes, own.max_retained,
                                   own.max_retained_bytes, publish.topic,
                                   refuse ? ": publish refused (0x97)" : ": routed unretained"));
  if (refuse) {
    decision.reason = ReasonCode::quota_exceeded;
  } else {
    publish.retain = false;  // delivered to current subscribers as a normal message
  }
}

}  // namespace

PublishQuotaDecision check_publish_quota(ConnectionState& c, BrokerData& data,
                                         protocol::Publish& publish) {
  PublishQuotaDecision decision;
  refresh_limits(c);
  check_rates(c, publish, decision);
  if (decision.reason == ReasonCode::success) check_retained(c, data, publish, decision);
  return decision;
}

void note_published(ConnectionState& c, BrokerData& data, const MessagePtr& message) {
  if (!c.quota.fetched || !message->retain || !c.config.retain_available) return;
  if (message->payload.empty()) {
    data.principal_quotas.release_retained(message->topic);
  } else {
    data.principal_quotas.record_retained(c.principal, message);
  }
}

bool may_subscribe(ConnectionState& c, BrokerData& data, const Session& session,
                   std::string_view filter, std::string_view share_group) {
  refresh_limits(c);
  const std::size_t max = c.quota.limits().max_subscriptions;
  if (max == 0) return true;
  const auto existing = data.subscriptions.subscriptions_of(session.key());
  for (const SessionSubscription& sub : existing) {
    if (sub.filter == filter && sub.share_group == share_group) return true;  // a replacement
  }
  if (existing.size() < max) return true;
  QuotaCounters::add(quota_counters(c.state).refused_subscriptions);
  c.events().quota_hit(c.identity(), QuotaKind::subscriptions,
                       fmt::format("subscription refused: {} of at most {} held, filter '{}'",
                                   existing.size(), max, filter));
  return false;
}

QueueLimits queue_limits_for(BrokerState& state, const Session& session) {
  const BrokerConfig& config = state.config();
  QueueLimits limits{config.max_queued_messages, config.max_queued_bytes};
  LimitsProvider* provider = state.limits();
  if (provider == nullptr) return limits;
  const ClientLimits own = provider->limits_for(session.principal());
  limits.max_messages = tighter(limits.max_messages, own.max_queued_messages);
  limits.max_bytes = tighter(limits.max_bytes, own.max_queued_bytes);
  return limits;
}

bool has_queue_room(BrokerState& state, const Session& session, const Message& message) {
  const QueueLimits limits = queue_limits_for(state, session);
  return session.queued_count() < limits.max_messages &&
         session.queued_bytes() + queue_cost(message) <= limits.max_bytes;
}

void note_queue_drop(BrokerState& state, const Session& session) {
  LimitsProvider* provider = state.limits();
  if (provider == nullptr) return;
  const BrokerConfig& config = state.config();
  const ClientLimits own = provider->limits_for(session.principal());
  const bool own_limit =
      (own.max_queued_messages != 0 && own.max_queued_messages < config.max_queued_messages) ||
      (own.max_queued_bytes != 0 && own.max_queued_bytes < config.max_queued_bytes);
  if (!own_limit) return;  // the broker-wide bound: counted as messages_dropped only
  QuotaCounters::add(state.counters().quota.queue_dropped);
  state.events().quota_hit(session_identity(session), QuotaKind::queue,
                           fmt::format("message dropped: session queue full ({} messages, {} "
                                       "bytes queued; limits {} / {})",
                                       session.queued_count(), session.queued_bytes(),
                                       own.max_queued_messages, own.max_queued_bytes));
}

void note_receive_maximum_exceeded(ConnectionState& c) {
  if (c.quota.receive_maximum >= c.config.receive_maximum) return;  // the broker-wide window
  c.events().quota_hit(c.identity(), QuotaKind::receive_maximum,
                       fmt::format("more than the Receive Maximum of {} QoS 2 messages in "
                                   "flight: DISCONNECT 0x93",
                                   c.quota.receive_maximum));
}

void note_packet_too_large(ConnectionState& c) {
  if (c.phase != Phase::connected || c.quota.max_packet_size >= c.config.max_packet_size) return;
  c.events().quota_hit(c.identity(), QuotaKind::packet_size,
                       fmt::format("packet over the Maximum Packet Size of {} bytes: "
                                   "DISCONNECT 0x95",
                                   c.quota.max_packet_size));
}

}  // namespace arkmq::core
