// The inbound PUBLISH pipeline.
#include "broker/core/publish_handler.hpp"

#include <optional>

#include <spdlog/spdlog.h>

#include "broker/core/error_mapping.hpp"
#include "broker/core/message_builder.hpp"
#include "broker/core/quota_enforcement.hpp"
#include "broker/core/router.hpp"
#include "broker/core/service_wiring.hpp"
#include "broker/protocol/topic.hpp"

namespace arkmq::core {
namespace {

using protocol::QoS;
using protocol::ReasonCode;

struct Violation {
  ReasonCode code;
  const char* why;
};

// Step 3: session rules. Resolves the topic alias in place [MQTT-3.3.2.3.4].
std::optional<Violation> check_publish(ConnectionState& c, protocol::Publish& publish) {
  if (c.is_v5() && publish.properties.topic_alias) {
    const std::uint16_t alias = *publish.properties.topic_alias;
    if (alias == 0 || alias > c.config.topic_alias_maximum) {  // [MQTT-3.3.2-8/9]
      return Violation{ReasonCode::topic_alias_invalid, "topic alias out of range"};
    }
    // Grown on first use: most clients use no alias (issue 7, memory per idle connection).
    if (alias > c.topic_aliases.size()) c.topic_aliases.resize(alias);
    std::string& slot = c.topic_aliases[alias - 1U];
    if (publish.topic.empty()) {
      if (slot.empty()) return Violation{ReasonCode::protocol_error, "unknown topic alias"};
      publish.topic = slot;
    } else if (protocol::is_valid_topic_name(publish.topic)) {
      slot = publish.topic;
    }
    publish.properties.topic_alias.reset();
  } else if (c.is_v5() && publish.topic.empty()) {
    return Violation{ReasonCode::protocol_error, "empty topic without topic alias"};
  }
  if (!publish.properties.subscription_identifiers.empty()) {  // [MQTT-3.3.4-6]
    return Violation{ReasonCode::protocol_error, "subscription identifier in a client PUBLISH"};
  }
  if (!protocol::is_valid_topic_name(publish.topic)) {  // [MQTT-3.3.2-2]
    return Violation{ReasonCode::topic_name_invalid, "invalid topic name"};
  }
  if (static_cast<std::uint8_t>(publish.qos) > c.config.maximum_qos) {  // [MQTT-3.2.2-11]
    return Violation{ReasonCode::qos_not_supported, "QoS above Maximum QoS"};
  }
  if (publish.retain && !c.config.retain_available) {  // [MQTT-3.2.2-14]
    return Violation{ReasonCode::retain_not_supported, "retain not available"};
  }
  if (publish.qos == QoS::at_most_once &&
      publish.properties.payload_format_indicator.value_or(0) == 1 &&
      !protocol::is_valid_utf8(publish.payload)) {
    return Violation{ReasonCode::payload_format_invalid, "payload is not UTF-8"};
  }
  return std::nullopt;
}

// Step 5: publishing to '$' topics is reserved for the broker; then the Authorizer.
bool may_publish(ConnectionState& c, std::string_view topic) {
  // except the service topics clients use (call/announce/reply, service_wiring.hpp).
  if (topic.front() == '$' && !is_client_service_topic(topic)) return false;
  return c.state.authorizer().authorize(AccessRequest{c.principal, c.client_id, Action::publish,
                                                      topic}) == Decision::allow;
}

PublishFacts facts_of(const protocol::Publish& publish) {
  return PublishFacts{publish.topic, static_cast<std::uint8_t>(publish.qos), publish.retain,
                      payload_bytes(publish.payload)};
}

// A subscriber's queue is filling while it still keeps up partly: stop reading from this
// publisher for a moment instead of letting the queue overflow and drop messages this publisher
// has been told were accepted. Each later PUBLISH into the same congestion pauses again, so the
// publisher runs at the subscriber's pace; a stalled subscriber never pauses anyone.
void pause_for_backpressure(ConnectionState& c) {
  constexpr std::chrono::milliseconds kPause{5};
  const TimePoint until = c.now + kPause;
  if (!c.read_paused_until || *c.read_paused_until < until) c.read_paused_until = until;
  QuotaCounters::add(c.state.counters().quota.backpressure);
}

void send_ack(ConnectionState& c, QoS qos, std::uint16_t packet_id, ReasonCode reason) {
  protocol::Properties properties;
  if (is_error(reason) && c.problem_information) {
    properties.reason_string = std::string(protocol::to_string(reason));
  }
  if (qos == QoS::at_least_once) {
    c.send(protocol::Puback{packet_id, reason, std::move(properties)});
  } else if (qos == QoS::exactly_once) {
    c.send(protocol::Pubrec{packet_id, reason, std::move(properties)});
  }
}

}  // namespace

void handle_publish(ConnectionState& c, protocol::Publish&& publish) {
  StatCounters::add(c.state.counters().messages_received);
  if (auto violation = check_publish(c, publish)) return c.fail(violation->code, violation->why);
  const QoS qos = publish.qos;
  const std::uint16_t packet_id = publish.packet_id;

  std::optional<Violation> violation;
  {
    auto data = c.state.lock();
    Session* session = c.bound_session(*data);
    if (session == nullptr) return;  // taken over; this connection is closing
    // Stopping (Broker::begin_drain): neither routed nor acknowledged; QoS 1/2 comes again.
    if (c.state.drain_begun()) return;
    const DurableMark durable_mark(c.state);  // the PUBACK/PUBREC waits for these reports
    auto& inbound = session->inbound_qos2();
    if (qos == QoS::exactly_once && inbound.contains(packet_id)) {
      // A resent QoS 2 PUBLISH: acknowledge again, never route twice [MQTT-4.3.3-10].
      c.send(protocol::Pubrec{packet_id, ReasonCode::success, {}});
      return;
    }
    if (qos == QoS::exactly_once && c.is_v5() && inbound.size() >= inbound_receive_maximum(c)) {
      violation = Violation{ReasonCode::receive_maximum_exceeded, "receive maximum exceeded"};
      note_receive_maximum_exceeded(c);
    } else {
      ReasonCode reason = ReasonCode::success;
      if (publish.properties.payload_format_indicator.value_or(0) == 1 &&
          !protocol::is_valid_utf8(publish.payload)) {
        reason = ReasonCode::payload_format_invalid;  // [MQTT-3.3.2-4]
      } else if (!may_publish(c, publish.topic)) {
        reason = ReasonCode::not_authorized;
        // debug, not warn: a client can repeat a denied request at line rate; the audit journal
        // records each denial (rate-limited per client) for whoever needs them.
        spdlog::debug("publish denied: client '{}' principal '{}' topic '{}'", c.client_id,
                     c.principal, publish.topic);
        const PublishFacts facts = facts_of(publish);
        c.events().denied(c.identity(), DeniedAction::publish, publish.topic, &facts);
        if (is_client_service_topic(publish.topic)) {
          handle_denied_service_publish(c, *data, publish);  // a call: `denied` reply
        }
      } else if (const PublishQuotaDecision quota = check_publish_quota(c, *data, publish);
                 quota.reason != ReasonCode::success) {
        reason = quota.reason;  // flow control (v5): not routed; QoS 0 dropped
        if (quota.disconnect) violation = Violation{*quota.disconnect, "publish quota exceeded repeatedly"};
      } else if (is_client_service_topic(publish.topic)) {
        // Handled by the services layer, never routed as an ordinary message.
        reason = handle_service_publish(c, *data, std::move(publish));
      } else if (drop_replayed_duplicate(data->replay, c.principal, c.client_id, publish)) {
        // An edge outbox replay already delivered (docs/edge.md "Duplicates"): acked, not routed.
      } else {
        c.events().published(c.identity(), facts_of(publish));
        // The id is recorded before routing: a subscriber's copy is committed only after it,
        // so a crash can never let the resent PUBLISH be routed a second time.
        if (qos == QoS::exactly_once) session->add_inbound_qos2(packet_id);
        const MessagePtr message = make_message(std::move(publish), c.client_id, c.now);
        bool congested = false;
        DeliveryContext context = c.context();
        context.congested = &congested;
        const std::size_t delivered = publish_message(*data, message, context);
        if (congested) pause_for_backpressure(c);
        note_published(c, *data, message);  // who holds the retained message (max_retained)
        if (delivered == 0 && c.is_v5()) reason = ReasonCode::no_matching_subscribers;
      }
      // v5 answers a refused message with its code; v3.1.1 acks it and drops it (error_mapping).
      if (is_error(reason)) {
        reason = wire_response(reason, FailureStage::publish_ack, c.version).code;
      }
      if (qos == QoS::exactly_once && !is_error(reason)) session->add_inbound_qos2(packet_id);
      durable_mark.hold(c.gate);
      send_ack(c, qos, packet_id, reason);
    }
  }
  if (violation) c.fail(violation->code, violation->why);
}

void handle_pubrel(ConnectionState& c, const protocol::Pubrel& pubrel) {
  auto data = c.state.lock();
  Session* session = c.bound_session(*data);
  if (session == nullptr) return;
  const DurableMark durable_mark(c.state);  // the PUBCOMP waits for the id's removal
  const bool known = session->remove_inbound_qos2(pubrel.packet_id);
  const ReasonCode reason =
      known || !c.is_v5() ? ReasonCode::success : ReasonCode::packet_identifier_not_found;
  durable_mark.hold(c.gate);
  c.send(protocol::Pubcomp{pubrel.packet_id, reason, {}});
}

}  // namespace arkmq::core
