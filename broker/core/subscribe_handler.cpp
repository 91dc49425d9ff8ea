// Subscription management.
#include "broker/core/subscribe_handler.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "broker/core/error_mapping.hpp"
#include "broker/core/quota_enforcement.hpp"
#include "broker/core/router.hpp"
#include "broker/core/service_rules.hpp"
#include "broker/protocol/topic.hpp"

namespace arkmq::core {
namespace {

using protocol::QoS;
using protocol::ReasonCode;

struct ParsedFilter {
  std::string_view filter;
  std::string_view group;  // empty: not shared
};

// A filter split into group and plain filter, or the reason it is refused.
ReasonCode parse_filter(const ConnectionState& c, std::string_view text, ParsedFilter& out) {
  out = ParsedFilter{text, {}};
  if (auto shared = protocol::parse_shared_filter(text)) {
    if (shared->group.empty()) return ReasonCode::topic_filter_invalid;
    if (!c.config.shared_subscriptions) return ReasonCode::shared_subscriptions_not_supported;
    out = ParsedFilter{shared->filter, shared->group};
  }
  if (!protocol::is_valid_topic_filter(out.filter)) return ReasonCode::topic_filter_invalid;
  return ReasonCode::success;
}

ReasonCode granted_code(QoS qos) {
  switch (qos) {
    case QoS::at_most_once: return ReasonCode::success;
    case QoS::at_least_once: return ReasonCode::granted_qos_1;
    case QoS::exactly_once: return ReasonCode::granted_qos_2;
  }
  return ReasonCode::success;
}

ReasonCode on_wire(const ConnectionState& c, ReasonCode code) {
  return is_error(code) ? wire_response(code, FailureStage::subscription, c.version).code : code;
}

// Protocol errors that void the whole SUBSCRIBE (DISCONNECT), before anything is applied.
std::optional<std::pair<ReasonCode, const char*>> check_packet(const ConnectionState& c,
                                                               const protocol::Subscribe& s) {
  if (!s.properties.subscription_identifiers.empty() && !c.config.subscription_identifiers) {
    return std::pair{ReasonCode::subscription_identifiers_not_supported,
                     "subscription identifiers not supported"};
  }
  for (const auto& sub : s.subscriptions) {
    // No Local on a shared subscription is a protocol error [MQTT-3.8.3-4].
    if (sub.options.no_local && protocol::parse_shared_filter(sub.filter)) {
      return std::pair{ReasonCode::protocol_error, "No Local on a shared subscription"};
    }
  }
  return std::nullopt;
}

}  // namespace

void handle_subscribe(ConnectionState& c, protocol::Subscribe&& subscribe) {
  if (auto error = check_packet(c, subscribe)) return c.fail(error->first, error->second);
  const std::uint32_t subscription_id =
      subscribe.properties.subscription_identifiers.empty()
          ? 0
          : subscribe.properties.subscription_identifiers.front();

  auto data = c.state.lock();
  Session* session = c.bound_session(*data);
  if (session == nullptr) return;
  if (c.state.drain_begun()) return;  // stopping (Broker::begin_drain): no SUBACK, no retained
  const DeliveryContext context = c.context();
  const DurableMark durable_mark(c.state);  // the SUBACK waits for the subscriptions' commit
  protocol::Suback suback{subscribe.packet_id, {}, {}};
  std::vector<AddedSubscription> send_retained;
  for (const protocol::TopicSubscription& request : subscribe.subscriptions) {
    ParsedFilter parsed;
    ReasonCode code = parse_filter(c, request.filter, parsed);
    const bool wildcard = parsed.filter.find_first_of("+#") != std::string_view::npos;
    if (code == ReasonCode::success && wildcard && !c.config.wildcard_subscriptions) {
      code = ReasonCode::wildcard_subscriptions_not_supported;
    }
    // The built-in `$svc/` rules (inbox, listing, serving) decide before (and instead of) the
    // Authorizer (service_rules.hpp).
    const BuiltinAccess builtin = builtin_subscribe_access(c.client_id, c.principal, parsed.filter);
    if (code == ReasonCode::success &&
        (builtin == BuiltinAccess::deny ||
         (builtin == BuiltinAccess::not_builtin &&
          c.state.authorizer().authorize(AccessRequest{c.principal, c.client_id,
                                                       Action::subscribe, request.filter}) !=
              Decision::allow))) {
      code = ReasonCode::not_authorized;
      // debug, not warn: a client can repeat a denied request at line rate; the audit journal
      // records each denial (rate-limited per client) for whoever needs them.
      spdlog::debug("subscribe denied: client '{}' principal '{}' filter '{}'", c.client_id,
                   c.principal, request.filter);
      c.events().denied(c.identity(), DeniedAction::subscribe, request.filter, nullptr);
    }
    if (code == ReasonCode::success &&
        !may_subscribe(c, *data, *session, parsed.filter, parsed.group)) {
      code = ReasonCode::quota_exceeded;  // max_subscriptions (quota_enforcement.hpp)
    }
    if (code != ReasonCode::success) {
      c.events().subscribed(c.identity(), request.filter, code);
      suback.reasons.push_back(on_wire(c, code));
      continue;
    }
    Subscription sub{session->key(), request.options, subscription_id};
    const auto max = static_cast<QoS>(c.config.maximum_qos);
    sub.options.max_qos = std::min(request.options.max_qos, max);
    const bool existed = data->subscriptions.subscribe(parsed.filter, parsed.group, sub);
    report_subscribed(*session, parsed.filter, parsed.group, sub);
    suback.reasons.push_back(granted_code(sub.options.max_qos));
    c.events().subscribed(c.identity(), request.filter, suback.reasons.back());
    // Retain Handling 0: always, 1: only for a new subscription, 2: never [MQTT-3.3.1-9..11];
    // never for shared subscriptions [MQTT-4.8.2].
    const std::uint8_t handling = request.options.retain_handling;
    if (parsed.group.empty() && (handling == 0 || (handling == 1 && !existed))) {
      send_retained.push_back(AddedSubscription{std::string(parsed.filter), sub});
    }
  }
  durable_mark.hold(c.gate);
  c.send(suback);  // SUBACK before the retained messages it triggers
  for (const AddedSubscription& added : send_retained) {
    deliver_retained(*data, *session, added, context);
  }
}

void handle_unsubscribe(ConnectionState& c, const protocol::Unsubscribe& unsubscribe) {
  auto data = c.state.lock();
  Session* session = c.bound_session(*data);
  if (session == nullptr) return;
  const DurableMark durable_mark(c.state);  // the UNSUBACK waits for the removals' commit
  protocol::Unsuback unsuback{unsubscribe.packet_id, {}, {}};
  for (const std::string& filter : unsubscribe.filters) {
    ParsedFilter parsed;
    ReasonCode code = parse_filter(c, filter, parsed);
    if (code == ReasonCode::shared_subscriptions_not_supported) code = ReasonCode::success;
    if (code == ReasonCode::success) {
      code = data->subscriptions.unsubscribe(parsed.filter, parsed.group, session->key())
                 ? ReasonCode::success
                 : ReasonCode::no_subscription_existed;
      if (code == ReasonCode::success) report_unsubscribed(*session, parsed.filter, parsed.group);
    }
    c.events().unsubscribed(c.identity(), filter, code);
    unsuback.reasons.push_back(on_wire(c, code));
  }
  durable_mark.hold(c.gate);
  c.send(unsuback);
}

}  // namespace arkmq::core
