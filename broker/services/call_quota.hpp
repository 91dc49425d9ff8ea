// CallQuota: per-service call rates (per caller and in total) as token buckets, checked before a
// call is forwarded (docs/protocol.md, "Call"). Plain object; owned by one broker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "broker/services/service_status.hpp"

namespace arkmq::services {

// Rates in calls per second; 0 = unlimited. A burst of 0 means one second's worth of the rate.
struct CallRateLimits {
  std::uint32_t per_caller_rate = 0;
  std::uint32_t per_caller_burst = 0;
  std::uint32_t total_rate = 0;
  std::uint32_t total_burst = 0;
};

// A deliberately tiny token bucket (the core's broker/core/token_bucket.hpp is out of reach:
// this library may not depend on core). Integer milli-tokens; starts full; time moving
// backwards counts as no time.
class CallBucket {
 public:
  CallBucket(std::uint32_t rate, std::uint32_t burst, TimePoint now);
  bool try_take(TimePoint now);  // one call
  bool can_take(TimePoint now);
  bool is_full(TimePoint now);   // indistinguishable from a new bucket: may be dropped

 private:
  void refill(TimePoint now);
  std::uint64_t rate_;      // tokens per second
  std::uint64_t capacity_;  // milli-tokens
  std::uint64_t milli_tokens_;
  TimePoint last_;
};

// Rules: a call passes when both its caller's bucket and the service's total bucket hold a
// token; only then are both charged (a refused call costs nothing). Services without limits
// track nothing. Per-caller buckets are bounded: past max_tracked_callers, full buckets are
// dropped (they equal new ones); if every bucket is in use the call is refused.
// A service without limits of its own (set_limits) gets the default limits (none unless
// set_default_limits): its entry is made at its first call, so the caller must check that the
// service is known (the registry bounds the number of services) before calling check().
class CallQuota {
 public:
  explicit CallQuota(std::size_t max_tracked_callers = 100'000);

  // Limits of one service; all-zero limits make it unlimited even when the default is not.
  void set_limits(std::string_view service, CallRateLimits limits);
  void set_default_limits(CallRateLimits limits);
  ServiceStatus check(std::string_view service, std::string_view caller, TimePoint now);
  std::size_t tracked_callers() const;

 private:
  struct PerService {
    CallRateLimits limits;
    std::optional<CallBucket> total;
    std::map<std::string, CallBucket, std::less<>> callers;
  };
  void prune(TimePoint now);

  std::size_t max_tracked_callers_;
  CallRateLimits default_limits_;
  std::map<std::string, PerService, std::less<>> services_;
};

}  // namespace arkmq::services
