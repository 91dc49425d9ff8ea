// Every broker-wide setting the core uses, filled by broker/app from the config file and flags.
// Plain data, copied into the Broker at construction.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace arkmq::core {

enum class AclDefault { allow, deny };

struct BrokerConfig {
  bool allow_anonymous = false;
  AclDefault acl_default = AclDefault::deny;  // the decision when no rule matches (issue 3)

  std::uint32_t max_packet_size = 1024 * 1024;     // both ways; announced in CONNACK
  std::uint16_t receive_maximum = 1024;            // inbound QoS 1/2 window announced in CONNACK
  std::uint16_t topic_alias_maximum = 64;          // inbound aliases a v5 client may use
  std::uint16_t max_keep_alive = 0;                // 0: accept the client's; else Server Keep Alive cap
  std::uint32_t max_session_expiry = 7 * 24 * 3600;  // seconds; larger requests are lowered
  std::uint8_t maximum_qos = 2;
  bool retain_available = true;
  bool wildcard_subscriptions = true;
  bool subscription_identifiers = true;
  bool shared_subscriptions = true;
  std::size_t max_client_id_length = 256;

  std::size_t max_queued_messages = 1000;          // offline + in-flight queue per session
  std::size_t max_queued_bytes = 64 * 1024 * 1024;
  std::size_t max_link_buffer_bytes = 8 * 1024 * 1024;  // QoS 0 to a slower consumer is dropped past this
  std::uint16_t v311_inflight_window = 32;         // outbound QoS 1/2 window for v3.1.1 clients
  std::size_t max_connections = 0;                 // 0: unlimited; else CONNACK server_busy past it
  // Flow control: a v5 client whose PUBLISHes were refused (0x96/0x97) this many times in a row
  // is disconnected with the same reason code; 0: never (docs/flow-control.md).
  std::uint32_t quota_disconnect_after = 0;
  // Global memory budget for what the broker holds for clients (queues, unsent bytes, retained);
  // 0: off. Above it Broker::tick sheds QoS 0, then the largest clients (memory_budget.hpp).
  std::size_t memory_budget_bytes = 0;

  std::chrono::seconds connect_timeout{10};        // deadline for the first CONNECT
  std::chrono::seconds sys_interval{10};           // $SYS refresh period; 0 disables
  std::string version = "arkmq 0.1.0";
};

}  // namespace arkmq::core
