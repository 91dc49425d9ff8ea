// PublishQuota: both buckets admit a message before either is charged; counters of refusals.
// Owned by the flow-control engineer.
#include "broker/core/publish_quota.hpp"

#include <algorithm>

namespace arkmq::core {

protocol::ReasonCode reason_code(QuotaVerdict verdict) {
  switch (verdict) {
    case QuotaVerdict::ok: return protocol::ReasonCode::success;
    case QuotaVerdict::rate_exceeded: return protocol::ReasonCode::message_rate_too_high;
    case QuotaVerdict::quota_exceeded: return protocol::ReasonCode::quota_exceeded;
  }
  return protocol::ReasonCode::quota_exceeded;  // unreachable: every enumerator is handled
}

PublishQuota::PublishQuota(const PublishLimits& limits, Clock::time_point now)
    : limits_(limits),
      messages_(limits.msgs_per_s, limits.msgs_burst, now),
      bytes_(limits.bytes_per_s, limits.bytes_burst, now) {}

void PublishQuota::set_limits(const PublishLimits& limits, Clock::time_point now) {
  limits_ = limits;
  messages_.set_limits(limits.msgs_per_s, limits.msgs_burst, now);
  bytes_.set_limits(limits.bytes_per_s, limits.bytes_burst, now);
}

QuotaVerdict PublishQuota::check_publish(std::size_t bytes, Clock::time_point now) {
  ++counters_.checked;
  if (is_unlimited()) return QuotaVerdict::ok;  // most clients: two compares
  messages_.refill(now);
  bytes_.refill(now);
  if (!messages_.can_take(1)) {
    ++counters_.rate_exceeded;
    return QuotaVerdict::rate_exceeded;
  }
  if (!bytes_.can_take(bytes)) {
    ++counters_.quota_exceeded;
    return QuotaVerdict::quota_exceeded;
  }
  messages_.take(1);
  bytes_.take(bytes);
  return QuotaVerdict::ok;
}

void PublishQuota::charge(std::size_t bytes, Clock::time_point now) {
  if (is_unlimited()) return;
  messages_.refill(now);
  bytes_.refill(now);
  messages_.force_take(1);
  bytes_.force_take(bytes);
}

PublishQuota::Clock::duration PublishQuota::time_until_next(Clock::time_point now) {
  if (is_unlimited()) return Clock::duration::zero();
  messages_.refill(now);
  bytes_.refill(now);
  return std::max(messages_.time_until(1), bytes_.time_until(1));
}

}  // namespace arkmq::core
