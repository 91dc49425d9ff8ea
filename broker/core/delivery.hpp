// Outbound delivery to one session: encode once per layout and share the bytes, the QoS 1/2
// in-flight window, the bounded queue, redelivery on resume, the client's Maximum Packet Size,
// outbound topic aliases when the client allows them.
// Called only under the broker lock (ClientLink::send only queues, so that is allowed).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "broker/core/broker_state.hpp"
#include "broker/core/client_link.hpp"
#include "broker/core/message_builder.hpp"
#include "broker/core/session.hpp"
#include "broker/protocol/codec.hpp"

namespace arkmq::core {

// Encodes one message once per (version, QoS, RETAIN flag, subscription ids) and hands out the
// shared bytes; QoS 1/2 layouts carry a placeholder packet id patched per subscriber.
class PublishEncoder {
 public:
  PublishEncoder(MessagePtr message, TimePoint now);
  // `out` must carry this encoder's message.
  SharedBytes bytes(const Outbound& out, protocol::ProtocolVersion version,
                    TopicForm topic_form = {});

 private:
  struct Layout {
    protocol::ProtocolVersion version;
    protocol::QoS qos;
    bool retain;
    std::vector<std::uint32_t> subscription_ids;
    TopicForm topic_form;
    SharedBytes bytes;
  };
  MessagePtr message_;
  TimePoint now_;
  std::vector<Layout> layouts_;  // a handful per message; linear search beats hashing
};

// A copy of an encoded QoS 1/2 PUBLISH with its packet id (and DUP flag) set.
SharedBytes with_packet_id(const std::vector<std::uint8_t>& publish, std::uint16_t packet_id,
                           bool dup);

// Encodes and queues one control packet on a link, counting the bytes.
void send_packet(ClientLink& link, const protocol::Packet& packet,
                 protocol::ProtocolVersion version, StatCounters& counters);

// What a v5 client asked of the packets the server sends it (CONNECT properties).
struct PeerLimits {
  std::uint32_t max_packet_size = 0;  // 0: no limit
  bool problem_information = true;    // Request Problem Information
};

// Encodes and queues a control packet (not a PUBLISH) within the client's limits; false when
// nothing was sent. A v3.1.1 client never gets a DISCONNECT (3.1.1 has none from the server).
// Without Request Problem Information only CONNACK/DISCONNECT keep Reason String and User
// Properties [MQTT-3.1.2-29]. Too large for the client's Maximum Packet Size: Reason String,
// then User Properties are dropped [MQTT-3.2.2-19/20, MQTT-3.4.2-2/3 ...]; still too large: not
// sent at all [MQTT-3.1.2-24].
struct ControlTarget {
  ClientLink& link;
  protocol::ProtocolVersion version;
  PeerLimits peer;
};
bool send_control(const ControlTarget& target, protocol::Packet packet, StatCounters& counters);

enum class DeliveryResult { sent, queued, dropped, expired };

struct DeliveryContext {
  BrokerState& state;
  TimePoint now;
  // Set to true when a QoS 1/2 message was queued for an online subscriber whose queue is over
  // half full while it still acknowledges (slow, not stalled), or a QoS 0 message was sent to
  // a subscriber whose link holds over link_congestion_bytes while it still drains: the
  // publisher's handler then pauses reading from the publisher briefly (publisher
  // back-pressure). Null: nobody asks.
  bool* congested = nullptr;
};

// How long since its last acknowledgement a subscriber still counts as slow rather than stalled:
// a stalled one (a client that stopped reading) never slows publishers; its excess is dropped.
inline constexpr std::chrono::seconds kStalledAfter{1};

// Unsent bytes on a subscriber's link past which QoS 0 deliveries to it pause the publisher
// (when the link still drains): an eighth of the bound where QoS 0 is dropped, so a publisher
// is held back long before anything is lost, and the buffer stays short for latency.
inline std::size_t link_congestion_bytes(const BrokerConfig& config) {
  return config.max_link_buffer_bytes / 8;
}

// Sends (online, window open), queues (QoS 1/2 beyond the window or offline) or drops one
// message for `session`. QoS 0 is never queued for an offline session.
DeliveryResult deliver(Session& session, Outbound outbound, PublishEncoder& encoder,
                       const DeliveryContext& context);

// Moves queued messages into the in-flight window while it is open (after an ack, on resume).
void pump_queue(Session& session, const DeliveryContext& context);

// On session resumption: every unacknowledged PUBLISH again with DUP=1, PUBREL for PUBREC'd
// ones, in the original order [MQTT-4.4.0-1].
void resend_in_flight(Session& session, const DeliveryContext& context);

}  // namespace arkmq::core
