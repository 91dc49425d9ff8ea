// Caller-facing replies and errors. Pure; any thread.
#include "broker/services/replies.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace arkmq::services {

namespace {

bool starts_with_svc(std::string_view name) { return name.substr(0, 4) == "svc-"; }

std::string latency_ms(const OutstandingCall& call, TimePoint now) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - call.started).count();
  return std::to_string(std::max<std::int64_t>(0, ms));
}

std::string bounded(std::string_view text) {
  return std::string(text.substr(0, kMaxDetailValueBytes));
}

protocol::Publish addressed_to(std::string_view topic, std::string_view correlation) {
  protocol::Publish out;
  out.topic = std::string(topic);
  out.qos = protocol::QoS::at_least_once;
  out.properties.correlation_data = std::string(correlation);
  return out;
}

}  // namespace

protocol::Publish relay_reply(const OutstandingCall& call, const protocol::Publish& node_reply,
                              TimePoint now) {
  const auto& in = node_reply.properties;
  ServiceStatus status = ServiceStatus::backend_error;
  std::optional<std::string_view> node_error;
  for (const auto& property : in.user_properties) {
    if (property.name == "svc-status" && property.value == "ok") status = ServiceStatus::ok;
    if (property.name == "svc-error" && !node_error) node_error = property.value;
  }
  // A node may only say ok or backend_error; a missing or other status is a backend error.
  const bool said_backend_error = std::any_of(
      in.user_properties.begin(), in.user_properties.end(),
      [](const auto& p) { return p.name == "svc-status" && p.value == "backend_error"; });
  if (status == ServiceStatus::ok && said_backend_error) status = ServiceStatus::backend_error;

  auto out = addressed_to(call.request.response_topic, call.request.caller_correlation);
  auto& props = out.properties;
  props.user_properties.push_back({"svc-status", std::string(to_string(status))});
  props.user_properties.push_back({"svc-node", call.request.node});
  props.user_properties.push_back({"svc-latency-ms", latency_ms(call, now)});
  if (status == ServiceStatus::ok) {
    out.payload = node_reply.payload;
    props.payload_format_indicator = in.payload_format_indicator;
    props.content_type = in.content_type;
  } else {
    const std::string_view error =
        node_error && !node_error->empty() ? *node_error
        : said_backend_error ? default_error_text(ServiceStatus::backend_error)
                             : std::string_view("the node's reply had no valid svc-status");
    props.user_properties.push_back({"svc-error", bounded(error)});
  }
  std::size_t details = 0;
  for (const auto& property : in.user_properties) {
    if (details == kMaxDetailProperties) break;
    if (starts_with_svc(property.name) || property.name.empty() ||
        property.name.size() > kMaxDetailNameBytes ||
        property.value.size() > kMaxDetailValueBytes) {
      continue;
    }
    props.user_properties.push_back(property);
    ++details;
  }
  return out;
}

protocol::Publish error_reply(const ErrorReply& reply) {
  auto out = addressed_to(reply.response_topic, reply.correlation);
  auto& props = out.properties;
  props.user_properties.push_back({"svc-status", std::string(to_string(reply.status))});
  if (reply.node) props.user_properties.push_back({"svc-node", std::string(*reply.node)});
  const std::string_view error =
      reply.error.empty() ? default_error_text(reply.status) : reply.error;
  props.user_properties.push_back({"svc-error", bounded(error)});
  return out;
}

protocol::Publish call_error_reply(const OutstandingCall& call, ServiceStatus status,
                                   std::string_view error, TimePoint now) {
  auto out = error_reply(ErrorReply{call.request.response_topic, call.request.caller_correlation,
                                    status, error, call.request.node});
  out.properties.user_properties.push_back({"svc-latency-ms", latency_ms(call, now)});
  return out;
}

}  // namespace arkmq::services
