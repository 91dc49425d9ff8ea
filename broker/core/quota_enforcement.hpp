// Flow-control enforcement at the handlers' call sites: per-principal limits fetched at CONNECT
// (and when the LimitsProvider's generation changes), publish rate and bandwidth, connections,
// subscriptions, retained messages, queues, the announced Receive Maximum and packet size.
// Owned by the quota-core engineer. Connection functions: its worker thread; `data`: under the lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "broker/core/connection_state.hpp"
#include "broker/protocol/packets.hpp"

namespace arkmq::core {

// --- CONNECT (after authentication, before the lock): fetches the principal's limits, sets
// the Receive Maximum and Maximum Packet Size to announce (the smaller of the principal's and
// the BrokerConfig's) and the publish buckets.
void apply_connect_limits(ConnectionState& c);

// The inbound frame limit: the announced Maximum Packet Size once connected, else BrokerConfig's.
inline std::uint32_t inbound_packet_limit(const ConnectionState& c) {
  return c.quota.max_packet_size != 0 ? c.quota.max_packet_size : c.config.max_packet_size;
}
// The inbound QoS 1/2 window announced in CONNACK.
inline std::uint16_t inbound_receive_maximum(const ConnectionState& c) {
  return c.quota.receive_maximum != 0 ? c.quota.receive_maximum : c.config.receive_maximum;
}

// Under the lock at CONNECT, for a new (not taken over) session: false when the principal is at
// its max_connections (counted and reported; the caller refuses with quota_exceeded).
bool may_connect(ConnectionState& c, BrokerData& data);
// The connection is online for its principal / no longer (once; safe to call twice).
void count_online(ConnectionState& c, BrokerData& data);
void uncount_online(ConnectionState& c, BrokerData& data);

// --- PUBLISH
// Before the lock: fetch the limits again when the provider's generation moved.
void refresh_limits(ConnectionState& c);

struct PublishQuotaDecision {
  // success: route it. Else the PUBACK/PUBREC code: always quota_exceeded (0x97), as 0x96
  // Message rate too high is not a PUBACK/PUBREC reason code in MQTT 5 (DISCONNECT only).
  protocol::ReasonCode reason = protocol::ReasonCode::success;
  // quota_disconnect_after refusals in a row: DISCONNECT with this code (0x96 for the message
  // rate, 0x97 for bandwidth or retained).
  std::optional<protocol::ReasonCode> disconnect;
};
// Under the lock, after authorization. MQTT 5: over a rate -> not routed; QoS 1/2 answered
// 0x97 (with the Reason String naming the rate), QoS 0 dropped. MQTT 3.1.1: charged and routed, and
// read_paused_until set to when the buckets admit a message again. A retained message over the
// principal's retained limits: v5 QoS 1/2 quota_exceeded (not routed); otherwise routed without
// being stored (`publish.retain` cleared).
PublishQuotaDecision check_publish_quota(ConnectionState& c, BrokerData& data,
                                         protocol::Publish& publish);
// Under the lock, after publish_message: who set (or cleared) the retained message of the topic.
void note_published(ConnectionState& c, BrokerData& data, const MessagePtr& message);

// --- SUBSCRIBE (under the lock): false when one more subscription than max_subscriptions
// (re-subscribing to a filter the session has is never refused). Counted and reported.
bool may_subscribe(ConnectionState& c, BrokerData& data, const Session& session,
                   std::string_view filter, std::string_view share_group);

// --- queues (under the lock): the session's limits, the smaller of its principal's and
// BrokerConfig's; note_queue_drop counts a drop the principal's own limit caused.
QueueLimits queue_limits_for(BrokerState& state, const Session& session);
// Whether `message` fits into the session's queue now.
bool has_queue_room(BrokerState& state, const Session& session, const Message& message);
void note_queue_drop(BrokerState& state, const Session& session);

// --- Receive Maximum: a QoS 2 PUBLISH beyond the announced window (reported when the
// principal's own limit is what was announced). The caller sends DISCONNECT 0x93.
void note_receive_maximum_exceeded(ConnectionState& c);

// --- maximum packet size: a frame over inbound_packet_limit (reported when the principal's
// own limit, not BrokerConfig's, refused it).
void note_packet_too_large(ConnectionState& c);

}  // namespace arkmq::core
