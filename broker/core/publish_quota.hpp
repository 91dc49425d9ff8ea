// The per-message publish quota of one client: a message-rate bucket and a byte-rate bucket,
// checked for each PUBLISH after authorization. Sans-I/O: the caller passes `now`. Owned by the
// client's connection; one worker thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "broker/core/token_bucket.hpp"
#include "broker/protocol/reason_code.hpp"

namespace arkmq::core {

// The effective limits (acl::resolve_quota's msgs_* and bytes_* fields, adapted by the app).
// 0 rate: unlimited; 0 burst: one second of the rate.
struct PublishLimits {
  std::uint64_t msgs_per_s = 0;
  std::uint64_t msgs_burst = 0;
  std::uint64_t bytes_per_s = 0;
  std::uint64_t bytes_burst = 0;
  friend bool operator==(const PublishLimits&, const PublishLimits&) = default;
};

// A decision, not an error. rate_exceeded: the message bucket is empty (reason 0x96 Message rate
// too high); quota_exceeded: the byte bucket is empty (reason 0x97 Quota exceeded).
enum class QuotaVerdict : std::uint8_t { ok, rate_exceeded, quota_exceeded };

// success for ok; message_rate_too_high / quota_exceeded otherwise (PUBACK/PUBREC for QoS 1/2,
// DISCONNECT for QoS 0 in MQTT 5; the caller decides which, see docs/flow-control.md).
protocol::ReasonCode reason_code(QuotaVerdict verdict);

struct PublishQuotaCounters {
  std::uint64_t checked = 0;
  std::uint64_t rate_exceeded = 0;
  std::uint64_t quota_exceeded = 0;
};

class PublishQuota {
 public:
  using Clock = TokenBucket::Clock;

  PublishQuota() = default;  // unlimited
  PublishQuota(const PublishLimits& limits, Clock::time_point now);

  // Both buckets must admit the message before either is charged, so a refused message costs
  // nothing. The message bucket is checked first: when both are empty the verdict is
  // rate_exceeded. `bytes` is the PUBLISH packet's size on the wire.
  QuotaVerdict check_publish(std::size_t bytes, Clock::time_point now);

  // Charges a message the caller accepts whatever the verdict (a v3.1.1 PUBLISH already read:
  // there is no way to refuse it). The buckets may go into debt; time_until_next() grows.
  void charge(std::size_t bytes, Clock::time_point now);

  // How long from `now` until a minimal message (1 message token, 1 byte token) would be
  // admitted: zero when it would be now. The v3.1.1 read pause (docs/flow-control.md).
  Clock::duration time_until_next(Clock::time_point now);

  // New limits at runtime (arkmqctl quota set): tokens already earned are kept up to the new
  // bursts, so lowering a limit takes effect at once and raising one grants nothing retroactively.
  void set_limits(const PublishLimits& limits, Clock::time_point now);

  const PublishLimits& limits() const { return limits_; }
  const PublishQuotaCounters& counters() const { return counters_; }
  bool is_unlimited() const { return messages_.is_unlimited() && bytes_.is_unlimited(); }

 private:
  PublishLimits limits_;
  TokenBucket messages_;
  TokenBucket bytes_;
  PublishQuotaCounters counters_;
};

}  // namespace arkmq::core
