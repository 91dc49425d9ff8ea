// Announcements: `$svc/announce/N/S` from node N into the registry, and `$svc/registry/S` out.
// Under the broker lock.
#include <spdlog/spdlog.h>

#include "broker/core/service_messages.hpp"
#include "broker/services/announcement.hpp"
#include "broker/services/names.hpp"

namespace arkmq::core {
namespace {

using protocol::ReasonCode;

ReasonCode refuse(ConnectionState& c, const protocol::Publish& publish, std::string_view why,
                  ReasonCode code) {
  // info: an operator setting up a node needs to see why it never shows up in the registry.
  spdlog::info("announcement from client '{}' (principal '{}') on {} refused: {}", c.client_id,
               c.principal, publish.topic, why);
  c.events().service_dropped(c.identity(), publish.topic, why);
  return code;
}

}  // namespace

ReasonCode handle_announce(ConnectionState& c, BrokerData& data, const protocol::Publish& publish) {
  const auto topic = services::parse_announce_topic(publish.topic);
  if (!topic) {
    return refuse(c, publish, "bad announcement: not $svc/announce/NODE/SERVICE",
                  ReasonCode::topic_name_invalid);
  }
  // The grant already ties N to its principal; this holds even under a permissive Authorizer,
  // so no client can announce (or withdraw) for another node.
  if (topic->node != c.principal) {
    return refuse(c, publish, "bad announcement: the node is not the publisher's principal",
                  ReasonCode::not_authorized);
  }
  auto parsed = services::parse_announcement(topic->service, publish.payload);
  if (!parsed) {
    return refuse(c, publish, "bad announcement: " + parsed.error(),
                  ReasonCode::implementation_specific_error);
  }
  ServiceHub& hub = data.services;
  services::ServiceRegistry::Changed changed;
  if (!*parsed) {
    changed = hub.registry.withdraw(topic->node, topic->service);
  } else {
    const auto expires = c.now + 3 * (*parsed)->heartbeat;  // the registry's liveness rule
    auto announced =
        hub.registry.announce(topic->node, c.client_id, std::move(**parsed), c.now);
    if (!announced) {
      return refuse(c, publish, "bad announcement: " + announced.error(),
                    ReasonCode::quota_exceeded);
    }
    changed = std::move(*announced);
    if (!hub.registry_check_at || expires < *hub.registry_check_at) {
      hub.registry_check_at = expires;
    }
  }
  publish_registry_changes(data, changed, c.context());
  return ReasonCode::success;
}

}  // namespace arkmq::core
