// The flow-control limits of one principal as the core applies them, and where it gets them.
// Implemented by broker/app over acl::resolve_quota; thread-safe (called from every worker).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "broker/core/publish_quota.hpp"

namespace arkmq::core {

// 0 everywhere means "no limit of this principal's own": the broker-wide BrokerConfig bound
// still applies (effective = the smaller of the two). See docs/flow-control.md.
struct ClientLimits {
  PublishLimits publish;                 // message and byte rate buckets
  std::uint16_t receive_maximum = 0;     // inbound QoS 1/2 window announced in CONNACK
  std::size_t max_queued_messages = 0;   // per session
  std::size_t max_queued_bytes = 0;
  std::size_t max_subscriptions = 0;     // per client; SUBACK 0x97 beyond
  std::size_t max_connections = 0;       // concurrent, per principal; CONNACK 0x97 beyond
  std::uint32_t max_packet_size = 0;     // announced in CONNACK and enforced inbound
  std::size_t max_retained = 0;          // retained messages set by this principal
  std::size_t max_retained_bytes = 0;
  friend bool operator==(const ClientLimits&, const ClientLimits&) = default;
};

class LimitsProvider {
 public:
  virtual ~LimitsProvider() = default;
  // `principal` empty: anonymous. Must be cheap (called at CONNECT and after every change).
  virtual ClientLimits limits_for(std::string_view principal) = 0;
  // Changes whenever any limit may have changed (a quota set or unset, a role granted): connected
  // clients compare it with the generation they applied and fetch their limits again.
  virtual std::uint64_t generation() const = 0;
};

}  // namespace arkmq::core
