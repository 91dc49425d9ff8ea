// The flow-control state of one connection: the principal's limits as fetched at CONNECT (and
// again when the LimitsProvider's generation changes), its publish buckets, the limits it was
// announced. Owned by the quota-core engineer; a ConnectionState member, its worker thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "broker/core/client_limits.hpp"
#include "broker/core/publish_quota.hpp"

namespace arkmq::core {

// The principal's own limits and the buckets enforcing them. Allocated only once a principal
// has a limit of its own: most have none, and these 216 bytes were the bulk of an idle
// connection's quota state (issue 7, memory per idle connection).
struct OwnQuota {
  ClientLimits limits;   // as last fetched
  PublishQuota publish;  // PublishQuota(limits.publish) as of the fetch
};

class ConnectionQuota {
 public:
  // The principal's own limits as last fetched (all 0: none, or not fetched).
  const ClientLimits& limits() const { return own_ ? own_->limits : kNoLimits; }
  // The publish buckets; null while unlimited (no own limits were ever fetched).
  PublishQuota* publish() { return own_ ? &own_->publish : nullptr; }

  // The limits fetched at CONNECT: the buckets start full for them.
  void start(const ClientLimits& limits, PublishQuota::Clock::time_point now) {
    if (limits == ClientLimits{}) {
      own_.reset();
    } else {
      own_ = std::make_unique<OwnQuota>(OwnQuota{limits, PublishQuota(limits.publish, now)});
    }
  }
  // Limits fetched again (the provider's generation moved): the buckets keep the tokens they
  // have (PublishQuota::set_limits); a principal that had none starts with full buckets.
  void update(const ClientLimits& limits, PublishQuota::Clock::time_point now) {
    if (!own_) {
      if (limits == ClientLimits{}) return;
      own_ = std::make_unique<OwnQuota>();
    }
    const PublishLimits before = own_->limits.publish;
    own_->limits = limits;
    if (limits.publish != before) own_->publish.set_limits(limits.publish, now);
  }

  std::uint64_t generation = 0;    // the provider's generation `limits` were fetched at
  // Wire size of the packet being dispatched (at most 268,435,460 bytes [MQTT-2.2.3]).
  std::uint32_t packet_size = 0;
  // Announced in CONNACK and enforced from then on; 0 until CONNECT (the BrokerConfig bound).
  std::uint32_t max_packet_size = 0;
  std::uint32_t consecutive_refusals = 0;  // PUBLISHes refused in a row (quota_disconnect_after)
  std::uint16_t receive_maximum = 0;
  bool fetched = false;            // false: no provider, or before CONNECT
  bool counted_online = false;     // counted in PrincipalQuotas::online (released once)

 private:
  static constexpr ClientLimits kNoLimits{};
  std::unique_ptr<OwnQuota> own_;  // null: no limits of the principal's own
};

}  // namespace arkmq::core
