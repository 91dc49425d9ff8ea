// Per-service call rate limits. One broker thread.
#include "broker/services/call_quota.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>

namespace arkmq::services {

namespace {
constexpr std::uint64_t kMilli = 1000;
}  // namespace

CallBucket::CallBucket(std::uint32_t rate, std::uint32_t burst, TimePoint now)
    : rate_(rate),
      capacity_(static_cast<std::uint64_t>(burst == 0 ? rate : burst) * kMilli),
      milli_tokens_(capacity_),
      last_(now) {}

void CallBucket::refill(TimePoint now) {
  if (now <= last_) return;
  const auto elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count();
  // rate tokens/s = rate milli-tokens/ms = rate/1000 milli-tokens/us. Cap elapsed to avoid
  // overflow: one hour refills any bucket.
  const auto us = std::min<std::uint64_t>(static_cast<std::uint64_t>(elapsed_us), 3'600'000'000);
  const std::uint64_t gained = us * rate_ / 1000;
  if (gained == 0) return;  // keep last_ so that small steps still add up
  milli_tokens_ = std::min(capacity_, milli_tokens_ + gained);
  // Advance only by the time that produced whole milli-tokens.
  last_ += std::chrono::microseconds(gained * 1000 / rate_);
  if (milli_tokens_ == capacity_) last_ = now;
}

bool CallBucket::can_take(TimePoint now) {
  refill(now);
  return milli_tokens_ >= kMilli;
}

bool CallBucket::try_take(TimePoint now) {
  if (!can_take(now)) return false;
  milli_tokens_ -= kMilli;
  return true;
}

bool CallBucket::is_full(TimePoint now) {
  refill(now);
  return milli_tokens_ == capacity_;
}

CallQuota::CallQuota(std::size_t max_tracked_callers)
    : max_tracked_callers_(max_tracked_callers) {}

void CallQuota::set_limits(std::string_view service, CallRateLimits limits) {
  // Kept even when all zero: an explicit "unlimited" overrides the default limits.
  auto& entry = services_[std::string(service)];
  entry = PerService{};  // new limits start from full buckets
  entry.limits = limits;
}

void CallQuota::set_default_limits(CallRateLimits limits) { default_limits_ = limits; }

std::size_t CallQuota::tracked_callers() const {
  std::size_t count = 0;
  for (const auto& [name, entry] : services_) count += entry.callers.size();
  return count;
}

void CallQuota::prune(TimePoint now) {
  for (auto& [name, entry] : services_) {
    for (auto it = entry.callers.begin(); it != entry.callers.end();) {
      it = it->second.is_full(now) ? entry.callers.erase(it) : std::next(it);
    }
  }
}

ServiceStatus CallQuota::check(std::string_view service, std::string_view caller,
                               TimePoint now) {
  auto it = services_.find(service);
  if (it == services_.end()) {
    if (default_limits_.per_caller_rate == 0 && default_limits_.total_rate == 0) {
      return ServiceStatus::ok;
    }
    it = services_.emplace(std::string(service), PerService{}).first;
    it->second.limits = default_limits_;
  }
  auto& entry = it->second;
  const auto& limits = entry.limits;
  if (limits.total_rate != 0 && !entry.total) {
    entry.total.emplace(limits.total_rate, limits.total_burst, now);
  }
  CallBucket* caller_bucket = nullptr;
  if (limits.per_caller_rate != 0) {
    auto found = entry.callers.find(caller);
    if (found == entry.callers.end()) {
      if (tracked_callers() >= max_tracked_callers_) prune(now);
      if (tracked_callers() >= max_tracked_callers_) return ServiceStatus::quota_exceeded;
      found = entry.callers
                  .emplace(std::string(caller),
                           CallBucket(limits.per_caller_rate, limits.per_caller_burst, now))
                  .first;
    }
    caller_bucket = &found->second;
  }
  if (caller_bucket && !caller_bucket->can_take(now)) return ServiceStatus::quota_exceeded;
  if (entry.total && !entry.total->can_take(now)) return ServiceStatus::quota_exceeded;
  if (caller_bucket) caller_bucket->try_take(now);
  if (entry.total) entry.total->try_take(now);
  return ServiceStatus::ok;
}

}  // namespace arkmq::services
