// The flow-control state of one connection: the principal's limits as fetched at CONNECT (and
// again when the LimitsProvider's generation changes), its publish buckets, the limits it was
// announced. Owned by the quota-core engineer; a ConnectionState member, its worker thread only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "broker/core/client_limits.hpp"
#include "broker/core/publish_quota.hpp"

namespace arkmq::core {

struct ConnectionQuota {
  ClientLimits limits;             // the principal's own (0: none), as last fetched
  std::uint64_t generation = 0;    // the provider's generation `limits` were fetched at
  bool fetched = false;            // false: no provider, or before CONNECT
  PublishQuota publish;            // unlimited until fetched
  // Announced in CONNACK and enforced from then on; 0 until CONNECT (the BrokerConfig bound).
  std::uint16_t receive_maximum = 0;
  std::uint32_t max_packet_size = 0;
  std::size_t packet_size = 0;     // wire size of the packet being dispatched
  std::uint32_t consecutive_refusals = 0;  // PUBLISHes refused in a row (quota_disconnect_after)
  bool counted_online = false;     // counted in PrincipalQuotas::online (released once)
};

}  // namespace arkmq::core
