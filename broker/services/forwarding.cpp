// The node-facing copy of a call. Pure; any thread.
#include "broker/services/forwarding.hpp"

#include <algorithm>
#include <chrono>

#include "broker/services/names.hpp"

namespace arkmq::services {

protocol::Publish forward_request(const OutstandingCall& call,
                                  const protocol::Publish& caller_request, TimePoint now) {
  using std::chrono::milliseconds;
  const auto left = std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                                  call.request.deadline - now));
  protocol::Publish out;
  out.topic = node_call_topic(call.request.node, call.request.service, call.request.method);
  out.payload = caller_request.payload;
  out.qos = protocol::QoS::at_least_once;
  auto& props = out.properties;
  props.payload_format_indicator = caller_request.properties.payload_format_indicator;
  props.content_type = caller_request.properties.content_type;
  props.response_topic = call.reply_topic;
  props.correlation_data = call.correlation;
  // Expiry is in whole seconds; round up so the node never sees less than the deadline allows
  // (it reads the exact budget from svc-deadline-ms).
  props.message_expiry_interval =
      static_cast<std::uint32_t>(std::max<std::int64_t>(1, (left.count() + 999) / 1000));
  props.user_properties.push_back({"svc-caller", call.request.caller_principal});
  props.user_properties.push_back({"svc-deadline-ms", std::to_string(left.count())});
  return out;
}

}  // namespace arkmq::services
