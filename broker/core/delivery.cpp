// Encode-once delivery, the in-flight window and the session queue.
#include "broker/core/delivery.hpp"

#include <memory>
#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

#include "broker/core/durable_gate.hpp"
#include "broker/core/message_builder.hpp"
#include "broker/core/quota_enforcement.hpp"

namespace arkmq::core {
namespace {

using protocol::QoS;

bool too_large(const std::vector<std::uint8_t>& bytes, const SessionBinding& binding) {
  return binding.max_packet_size != 0 && bytes.size() > binding.max_packet_size;
}

void send_publish(const SessionBinding& binding, SharedBytes bytes, StatCounters& counters) {
  StatCounters::add(counters.bytes_sent, bytes->size());
  StatCounters::add(counters.messages_sent);
  binding.link->send(std::move(bytes));
}

// Uses an existing alias, or takes a free one for a new topic (committed only once sent).
TopicForm choose_topic_form(const SessionBinding& binding, const std::string& topic) {
  const OutboundAliases& aliases = binding.aliases;
  if (binding.version != protocol::ProtocolVersion::v5 || aliases.maximum == 0) return {};
  if (const std::uint16_t alias = aliases.find(topic); alias != 0) return TopicForm{alias, true};
  if (aliases.size() < aliases.maximum) {
    return TopicForm{static_cast<std::uint16_t>(aliases.size() + 1), false};
  }
  return {};
}

void commit_topic_form(SessionBinding& binding, const std::string& topic, TopicForm form) {
  if (form.alias != 0 && !form.omit_topic) binding.aliases.add(topic, form.alias);
}

// A queue over half its limits, for an online subscriber that acknowledged recently.
bool is_congested(const Session& session, const QueueLimits& limits, TimePoint now) {
  if (!session.is_online() || now - session.last_progress() > kStalledAfter) return false;
  return (limits.max_messages != 0 && session.queued_count() * 2 >= limits.max_messages) ||
         (limits.max_bytes != 0 && session.queued_bytes() * 2 >= limits.max_bytes);
}

DeliveryResult enqueue(Session& session, Outbound outbound, const DeliveryContext& context) {
  // The BrokerConfig bounds, or the session principal's where tighter (quota_enforcement.hpp).
  const QueueLimits limits = queue_limits_for(context.state, session);
  if (session.enqueue(std::move(outbound), limits)) {
    if (context.congested != nullptr && is_congested(session, limits, context.now)) {
      *context.congested = true;
    }
    return DeliveryResult::queued;
  }
  StatCounters::add(context.state.counters().messages_dropped);
  note_queue_drop(context.state, session);
  return DeliveryResult::dropped;
}

// Puts a QoS 1/2 message into the window and sends it; the window must be open.
DeliveryResult send_in_flight(Session& session, Outbound outbound, PublishEncoder& encoder,
                              const DeliveryContext& context) {
  SessionBinding& binding = *session.binding();
  const TopicForm form = choose_topic_form(binding, outbound.message->topic);
  const SharedBytes layout = encoder.bytes(outbound, binding.version, form);
  if (too_large(*layout, binding)) {
    // Never truncated; dropped for this subscriber only [MQTT-3.1.2-25].
    StatCounters::add(context.state.counters().messages_dropped);
    session.discard(outbound);
    return DeliveryResult::dropped;
  }
  const std::uint16_t id = session.allocate_packet_id();
  if (id == 0) return enqueue(session, std::move(outbound), context);
  commit_topic_form(binding, outbound.message->topic, form);
  const auto stage = outbound.qos == QoS::at_least_once ? InFlight::Stage::awaiting_puback
                                                        : InFlight::Stage::awaiting_pubrec;
  // Recorded (and, for a durable session, committed) before it goes out: a message the client
  // has seen is resent after a crash with its packet id and DUP, never as a new one.
  session.add_in_flight(InFlight{id, stage, std::move(outbound)});
  hold_for_session(session);
  send_publish(binding, with_packet_id(*layout, id, false), context.state.counters());
  return DeliveryResult::sent;
}

// Resends one held-over PUBLISH with DUP=1 and its original packet id [MQTT-4.4.0-1]; always
// with the full topic (the new connection has no aliases yet). False when it no longer fits the
// client's (new) Maximum Packet Size: the caller then discards it as if it had been
// acknowledged [MQTT-3.1.2-25].
bool resend_publish(Session& session, const SessionBinding& binding, InFlight& entry,
                    const DeliveryContext& context) {
  session.set_awaiting_resend(entry, false);
  const Outbound& out = entry.outbound;
  PublishEncoder encoder(out.message, context.now);
  const SharedBytes layout = encoder.bytes(out, binding.version);
  if (too_large(*layout, binding)) {
    StatCounters::add(context.state.counters().messages_dropped);
    return false;
  }
  send_publish(binding, with_packet_id(*layout, entry.packet_id, true), context.state.counters());
  return true;
}

void discard(Session& session, const std::vector<std::uint16_t>& packet_ids) {
  for (const std::uint16_t id : packet_ids) session.remove_in_flight(id);
}

// Resends held-over PUBLISHes in order while the window has room.
void resend_held_over(Session& session, const SessionBinding& binding,
                      const DeliveryContext& context) {
  std::vector<std::uint16_t> discarded;
  do {  // discarding frees room, so go round again until nothing is discarded
    discarded.clear();
    for (InFlight& entry : session.in_flight()) {
      if (!session.has_awaiting_resend() || !session.window_open(binding.window)) break;
      if (entry.awaiting_resend && !resend_publish(session, binding, entry, context)) {
        discarded.push_back(entry.packet_id);
      }
    }
    discard(session, discarded);
  } while (!discarded.empty());
}

// A QoS 0 message not sent to a subscriber that does not read. Logged on the 1st, 2nd, 4th,
// 8th ... such drop broker-wide, so a slow consumer shows in the log without flooding it.
void drop_for_slow_consumer(const Session& session, std::size_t queued, StatCounters& counters) {
  const std::uint64_t total = counters.messages_dropped.fetch_add(1, std::memory_order_relaxed) + 1;
  if ((total & (total - 1)) == 0) {
    spdlog::warn("slow consumer: client '{}' has {} bytes unsent; dropping QoS 0 messages "
                 "({} messages dropped in total)",
                 session.client_id(), queued, total);
  }
}

}  // namespace

PublishEncoder::PublishEncoder(MessagePtr message, TimePoint now)
    : message_(std::move(message)), now_(now) {}

SharedBytes PublishEncoder::bytes(const Outbound& out, protocol::ProtocolVersion version,
                                  TopicForm topic_form) {
  static const std::vector<std::uint32_t> none;
  // v3.1.1 has no properties, so subscription ids do not split its layouts.
  const auto& ids = version == protocol::ProtocolVersion::v311 ? none : out.subscription_ids;
  for (const Layout& layout : layouts_) {
    if (layout.version == version && layout.qos == out.qos && layout.retain == out.retain &&
        layout.subscription_ids == ids && layout.topic_form == topic_form) {
      return layout.bytes;
    }
  }
  auto bytes = std::make_shared<std::vector<std::uint8_t>>();
  const protocol::Packet packet = make_outbound_publish(out, topic_form, now_);
  bytes->reserve(protocol::encoded_size(packet, version));
  protocol::encode_packet(packet, version, *bytes);
  layouts_.push_back(Layout{version, out.qos, out.retain, ids, topic_form, bytes});
  return bytes;
}

SharedBytes with_packet_id(const std::vector<std::uint8_t>& publish, std::uint16_t packet_id,
                           bool dup) {
  auto out = std::make_shared<std::vector<std::uint8_t>>(publish);
  // Fixed header: 1 type byte + 1..4 bytes of remaining length (high bit = continuation).
  std::size_t pos = 1;
  while (pos < out->size() && ((*out)[pos] & 0x80U) != 0) ++pos;
  ++pos;
  const std::size_t topic_length =
      (static_cast<std::size_t>((*out)[pos]) << 8U) | (*out)[pos + 1];
  const std::size_t id_pos = pos + 2 + topic_length;
  (*out)[id_pos] = static_cast<std::uint8_t>(packet_id >> 8U);
  (*out)[id_pos + 1] = static_cast<std::uint8_t>(packet_id & 0xFFU);
  if (dup) (*out)[0] = static_cast<std::uint8_t>((*out)[0] | 0x08U);
  return out;
}

void send_packet(ClientLink& link, const protocol::Packet& packet,
                 protocol::ProtocolVersion version, StatCounters& counters) {
  auto out = std::make_shared<std::vector<std::uint8_t>>();
  protocol::encode_packet(packet, version, *out);
  StatCounters::add(counters.bytes_sent, out->size());
  link.send(std::move(out));
}

bool send_control(const ControlTarget& target, protocol::Packet packet, StatCounters& counters) {
  const protocol::ProtocolVersion version = target.version;
  const PeerLimits& peer = target.peer;
  ClientLink& link = target.link;
  if (version != protocol::ProtocolVersion::v5) {
    if (std::holds_alternative<protocol::Disconnect>(packet)) return false;
    send_packet(link, packet, version, counters);
    return true;
  }
  protocol::Properties* properties = std::visit(
      [](auto& p) -> protocol::Properties* {
        if constexpr (requires { p.properties; }) {
          return &p.properties;
        } else {
          return nullptr;
        }
      },
      packet);
  if (properties != nullptr && !peer.problem_information &&
      !std::holds_alternative<protocol::Connack>(packet) &&
      !std::holds_alternative<protocol::Disconnect>(packet)) {
    properties->reason_string.reset();
    properties->user_properties.clear();
  }
  const auto fits = [&] {
    return peer.max_packet_size == 0 ||
           protocol::encoded_size(packet, version) <= peer.max_packet_size;
  };
  if (!fits() && properties != nullptr) properties->reason_string.reset();
  if (!fits() && properties != nullptr) properties->user_properties.clear();
  if (!fits()) {
    StatCounters::add(counters.messages_dropped);
    return false;
  }
  send_packet(link, packet, version, counters);
  return true;
}

DeliveryResult deliver(Session& session, Outbound outbound, PublishEncoder& encoder,
                       const DeliveryContext& context) {
  if (is_expired(*outbound.message, context.now)) return DeliveryResult::expired;
  SessionBinding* binding = session.binding();
  const BrokerConfig& config = context.state.config();
  StatCounters& counters = context.state.counters();
  if (outbound.qos == QoS::at_most_once) {
    // QoS 0 is not kept for offline sessions (the spec allows it; we choose not to).
    if (binding == nullptr) return DeliveryResult::dropped;
    const std::size_t queued = binding->link->queued_bytes();
    if (queued > config.max_link_buffer_bytes) {
      drop_for_slow_consumer(session, queued, counters);
      return DeliveryResult::dropped;
    }
    // Publisher back-pressure for QoS 0 too: a live subscriber whose link buffer is filling
    // pauses the publisher, well before the buffer's bound makes us drop (a stalled one never).
    if (context.congested != nullptr && queued != 0 && queued >= link_congestion_bytes(config) &&
        binding->link->is_draining()) {
      *context.congested = true;
    }
    const TopicForm form = choose_topic_form(*binding, outbound.message->topic);
    SharedBytes bytes = encoder.bytes(outbound, binding->version, form);
    if (too_large(*bytes, *binding)) {
      StatCounters::add(counters.messages_dropped);
      return DeliveryResult::dropped;
    }
    send_publish(*binding, std::move(bytes), counters);
    commit_topic_form(*binding, outbound.message->topic, form);
    return DeliveryResult::sent;
  }
  // Keep order: nothing overtakes the queue.
  if (binding == nullptr || session.has_queued() || session.has_awaiting_resend() ||
      !session.window_open(binding->window)) {
    return enqueue(session, std::move(outbound), context);
  }
  return send_in_flight(session, std::move(outbound), encoder, context);
}

void pump_queue(Session& session, const DeliveryContext& context) {
  SessionBinding* binding = session.binding();
  if (binding == nullptr || context.state.drain_begun()) return;  // stopping: nothing new in flight
  // Held-over in-flight messages go first, in their original order.
  resend_held_over(session, *binding, context);
  while (!session.has_awaiting_resend() && session.has_queued() &&
         session.window_open(binding->window)) {
    Outbound outbound = session.pop_queued();
    if (is_expired(*outbound.message, context.now)) {  // [MQTT-3.3.2-5]
      session.discard(outbound);
      continue;
    }
    PublishEncoder encoder(outbound.message, context.now);
    send_in_flight(session, std::move(outbound), encoder, context);
  }
}

void resend_in_flight(Session& session, const DeliveryContext& context) {
  SessionBinding* binding = session.binding();
  if (binding == nullptr) return;
  // Every unacknowledged PUBLISH waits for room in the client's (possibly smaller) Receive
  // Maximum [MQTT-3.3.4-9]. PUBRELs are not PUBLISHes and are always resent, but a PUBREC'd
  // message keeps its share of the send quota until PUBCOMP [MQTT-4.9.0-2/3].
  for (InFlight& entry : session.in_flight()) {
    session.set_awaiting_resend(entry, entry.stage != InFlight::Stage::awaiting_pubcomp);
  }
  std::vector<std::uint16_t> discarded;
  for (InFlight& entry : session.in_flight()) {
    if (entry.stage == InFlight::Stage::awaiting_pubcomp) {
      send_control(ControlTarget{*binding->link, binding->version, {binding->max_packet_size, true}},
                   protocol::Pubrel{entry.packet_id, {}, {}}, context.state.counters());
    } else if (session.window_open(binding->window) &&
               !resend_publish(session, *binding, entry, context)) {
      discarded.push_back(entry.packet_id);
    }
  }
  discard(session, discarded);
  resend_held_over(session, *binding, context);
}

}  // namespace arkmq::core
