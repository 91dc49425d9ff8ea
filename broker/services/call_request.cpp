// Call request validation. Pure; any thread.
#include "broker/services/call_request.hpp"

#include <charconv>
#include <cstdint>
#include <utility>

#include "broker/protocol/topic.hpp"
#include "broker/services/names.hpp"

namespace arkmq::services {

namespace {

tl::unexpected<CallRejection> reject(std::string reason, bool can_reply) {
  return tl::make_unexpected(
      CallRejection{ServiceStatus::bad_request, std::move(reason), can_reply});
}

// A strict decimal: digits only, no sign, no spaces, fits in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

tl::expected<CallRequest, CallRejection> validate_call(const protocol::Publish& publish,
                                                       const CallerView& caller) {
  if (caller.version != protocol::ProtocolVersion::v5) {
    return reject("service calls need MQTT 5", false);
  }
  const auto& props = publish.properties;
  const auto inbox = inbox_prefix(caller.client_id);
  // The inbox rule: a call can never make the broker publish outside the caller's own inbox.
  const bool topic_in_inbox =
      inbox && props.response_topic && props.response_topic->size() > inbox->size() &&
      props.response_topic->compare(0, inbox->size(), *inbox) == 0 &&
      protocol::is_valid_topic_name(*props.response_topic);
  const bool has_correlation = props.correlation_data && !props.correlation_data->empty() &&
                               props.correlation_data->size() <= kMaxCorrelationBytes;
  const bool can_reply = topic_in_inbox && has_correlation;

  auto target = parse_call_topic(publish.topic);
  if (!target) return reject("not a $svc/call/SERVICE/METHOD topic", can_reply);
  if (publish.retain) return reject("a service call cannot be retained", can_reply);
  if (!inbox) return reject("this client id has no inbox (it contains / + or #)", false);
  if (!props.response_topic) return reject("no Response Topic", false);
  if (!topic_in_inbox) {
    return reject("the Response Topic must be inside " + *inbox, false);
  }
  if (!props.correlation_data || props.correlation_data->empty()) {
    return reject("no Correlation Data", false);
  }
  if (!has_correlation) {
    return reject("Correlation Data longer than " + std::to_string(kMaxCorrelationBytes) +
                      " bytes",
                  false);
  }

  CallRequest request;
  request.service = std::move(target->service);
  request.method = std::move(target->method);
  request.response_topic = *props.response_topic;
  request.correlation = *props.correlation_data;
  bool seen_timeout = false;
  for (const auto& property : props.user_properties) {
    if (property.name == "svc-node") {
      if (request.pinned_node) return reject("svc-node given twice", true);
      if (!is_valid_name(property.value)) return reject("svc-node is not a valid node name", true);
      request.pinned_node = property.value;
    } else if (property.name == "svc-timeout-ms") {
      if (seen_timeout) return reject("svc-timeout-ms given twice", true);
      seen_timeout = true;
      const auto ms = parse_decimal(property.value);
      if (!ms || *ms == 0 || *ms > static_cast<std::uint64_t>(kMaxCallTimeout.count())) {
        return reject("svc-timeout-ms must be an integer from 1 to " +
                          std::to_string(kMaxCallTimeout.count()),
                      true);
      }
      request.timeout = std::chrono::milliseconds(*ms);
    }
    // Other user properties are the caller's own business; they do not reach the node.
  }
  if (props.message_expiry_interval) {
    // An expiry of 0 would leave no time at all: treat it as a request that cannot succeed.
    if (*props.message_expiry_interval == 0) {
      return reject("Message Expiry Interval 0 leaves no time for the call", true);
    }
    const auto expiry = std::chrono::milliseconds(
        std::chrono::seconds(*props.message_expiry_interval));
    if (expiry < request.timeout) request.timeout = expiry;
  }
  return request;
}

}  // namespace arkmq::services
