// MQTT 3.1.1 and 5.0 control packets as plain value types; one struct per packet type.
// No behaviour here: decode/encode live in codec.hpp, semantics in broker/core.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "broker/protocol/properties.hpp"
#include "broker/protocol/reason_code.hpp"

namespace arkmq::protocol {

// The protocol level byte of CONNECT. MQTT 3.1 ("MQIsdp", level 3) is decoded as v311.
enum class ProtocolVersion : std::uint8_t { v311 = 4, v5 = 5 };

enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

enum class PacketType : std::uint8_t {
  connect = 1, connack = 2, publish = 3, puback = 4, pubrec = 5, pubrel = 6, pubcomp = 7,
  subscribe = 8, suback = 9, unsubscribe = 10, unsuback = 11, pingreq = 12, pingresp = 13,
  disconnect = 14, auth = 15,
};

struct Will {
  std::string topic;
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  Properties properties;  // v5 will properties (will delay, expiry, content type, ...)
  bool operator==(const Will&) const = default;
};

struct Connect {
  ProtocolVersion version = ProtocolVersion::v5;
  bool clean_start = true;  // "clean session" in v3.1.1
  std::uint16_t keep_alive = 0;
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary data; never logged
  std::optional<Will> will;
  Properties properties;
  bool operator==(const Connect&) const = default;
};

struct Connack {
  bool session_present = false;
  ReasonCode reason = ReasonCode::success;  // encoded as a 3.1.1 return code for v311
  Properties properties;
  bool operator==(const Connack&) const = default;
};

struct Publish {
  std::string topic;  // may be empty in v5 when a topic alias is set
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // 0 for QoS 0
  Properties properties;
  bool operator==(const Publish&) const = default;
};

// The four acknowledgements share one layout; distinct types keep the variant unambiguous.
template <PacketType Type>
struct Ack {
  std::uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::success;
  Properties properties;
  bool operator==(const Ack&) const = default;
};
using Puback = Ack<PacketType::puback>;
using Pubrec = Ack<PacketType::pubrec>;
using Pubrel = Ack<PacketType::pubrel>;
using Pubcomp = Ack<PacketType::pubcomp>;

struct SubscriptionOptions {
  QoS max_qos = QoS::at_most_once;
  bool no_local = false;             // v5 only
  bool retain_as_published = false;  // v5 only
  std::uint8_t retain_handling = 0;  // v5 only: 0 send, 1 send if new, 2 never
  bool operator==(const SubscriptionOptions&) const = default;
};

struct TopicSubscription {
  std::string filter;
  SubscriptionOptions options;
  bool operator==(const TopicSubscription&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<TopicSubscription> subscriptions;
  Properties properties;
  bool operator==(const Subscribe&) const = default;
};

// v3.1.1 SUBACK return codes are 0x00-0x02 and 0x80, the same bytes as the v5 codes used here.
struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<ReasonCode> reasons;
  Properties properties;
  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;
  Properties properties;
  bool operator==(const Unsubscribe&) const = default;
};

// v3.1.1 UNSUBACK has no payload; reasons are ignored when encoding for v311.
struct Unsuback {
  std::uint16_t packet_id = 0;
  std::vector<ReasonCode> reasons;
  Properties properties;
  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

struct Disconnect {
  ReasonCode reason = ReasonCode::success;  // v311 DISCONNECT has no reason; encoded as 2 bytes
  Properties properties;
  bool operator==(const Disconnect&) const = default;
};

struct Auth {
  ReasonCode reason = ReasonCode::success;
  Properties properties;
  bool operator==(const Auth&) const = default;
};

using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

}  // namespace arkmq::protocol
