// ServiceHub construction and the services layer's entry points: dispatch of client `$svc/`
// PUBLISHes, connection close, timers. Under the broker lock.
#include "broker/core/service_hub.hpp"

#include <random>
#include <utility>

#include <spdlog/spdlog.h>

#include "broker/core/service_messages.hpp"
#include "broker/core/service_wiring.hpp"
#include "broker/services/replies.hpp"

namespace arkmq::core {
namespace {

using protocol::ReasonCode;

constexpr std::string_view kCallPrefix = "$svc/call/";
constexpr std::string_view kAnnouncePrefix = "$svc/announce/";
constexpr std::string_view kReplyPrefix = "$svc/reply/";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The fallback when the application gives no CSPRNG. std::random_device is the OS's entropy
// source on Linux (getrandom); the application passes OpenSSL's RAND_bytes anyway.
services::RandomSource random_device_source() {
  auto device = std::make_shared<std::random_device>();
  return [device](std::span<std::uint8_t> out) {
    for (auto& byte : out) byte = static_cast<std::uint8_t>((*device)() & 0xFFU);
  };
}

}  // namespace

ServiceHub::ServiceHub() : ServiceHub(ServiceSettings{}) {}

ServiceHub::ServiceHub(ServiceSettings settings)
    : registry(settings.registry),
      calls(settings.random ? std::move(settings.random) : random_device_source(),
            settings.calls) {
  quota.set_default_limits(settings.default_rates);
  for (const auto& [service, rates] : settings.rates) quota.set_limits(service, rates);
}

bool is_client_service_topic(std::string_view topic) {
  return starts_with(topic, kCallPrefix) || starts_with(topic, kAnnouncePrefix) ||
         starts_with(topic, kReplyPrefix);
}

ReasonCode handle_service_publish(ConnectionState& c, BrokerData& data,
                                  protocol::Publish&& publish) {
  if (starts_with(publish.topic, kCallPrefix)) return handle_call(c, data, publish);
  if (starts_with(publish.topic, kAnnouncePrefix)) return handle_announce(c, data, publish);
  return handle_reply(c, data, publish);
}

void handle_denied_service_publish(ConnectionState& c, BrokerData& data,
                                   const protocol::Publish& publish) {
  if (starts_with(publish.topic, kCallPrefix)) handle_denied_call(c, data, publish);
}

void service_connection_closed(BrokerData& data, std::string_view client_id,
                               const DeliveryContext& context) {
  ServiceHub& hub = data.services;
  // Its own calls first: nobody is left to answer, and they free the caller's share.
  hub.calls.caller_gone(client_id);
  // Calls this connection was serving fail at once: the node may already have acted, so
  // backend_error, not no_node_available (docs/adr/0004-services.md, 11).
  for (const services::OutstandingCall& call : hub.calls.node_gone(client_id)) {
    answer_failed_call(data, call, services::ServiceStatus::backend_error,
                       "the node's connection closed before it replied", context);
  }
  publish_registry_changes(data, hub.registry.connection_closed(client_id), context);
}

void tick_service_hub(BrokerData& data, const DeliveryContext& context) {
  ServiceHub& hub = data.services;
  if (const auto due = hub.calls.next_deadline(); due && *due <= context.now) {
    for (const services::OutstandingCall& call : hub.calls.expire(context.now)) {
      answer_failed_call(data, call, services::ServiceStatus::timeout, "", context);
    }
  }
  if (hub.registry_check_at && *hub.registry_check_at <= context.now) {
    const services::ServiceRegistry::Changed changed = hub.registry.expire(context.now);
    hub.registry_check_at = hub.registry.next_expiry();
    if (!changed.empty()) {
      spdlog::info("service registry: {} service(s) lost a node that stopped announcing",
                   changed.size());
    }
    publish_registry_changes(data, changed, context);
  }
}

}  // namespace arkmq::core
