// Paho <-> EdgeMessage.
#include "edge-client/paho_convert.hpp"

namespace arkmq::edge {

EdgeMessage from_paho(const mqtt::message& message) {
  EdgeMessage out;
  out.topic = message.get_topic();
  out.payload = message.get_payload_str();
  out.qos = message.get_qos();
  out.retain = message.is_retained();
  const mqtt::properties& props = message.get_properties();
  using code = mqtt::property::code;
  if (props.contains(code::RESPONSE_TOPIC)) {
    out.response_topic = mqtt::get<std::string>(props, code::RESPONSE_TOPIC);
  }
  if (props.contains(code::CORRELATION_DATA)) {
    out.correlation_data = mqtt::get<std::string>(props, code::CORRELATION_DATA);
  }
  if (props.contains(code::CONTENT_TYPE)) {
    out.content_type = mqtt::get<std::string>(props, code::CONTENT_TYPE);
  }
  if (props.contains(code::MESSAGE_EXPIRY_INTERVAL)) {
    out.message_expiry_s = mqtt::get<std::uint32_t>(props, code::MESSAGE_EXPIRY_INTERVAL);
  }
  if (props.contains(code::PAYLOAD_FORMAT_INDICATOR)) {
    out.payload_format = mqtt::get<std::uint8_t>(props, code::PAYLOAD_FORMAT_INDICATOR);
  }
  const std::size_t users = props.count(code::USER_PROPERTY);
  for (std::size_t i = 0; i < users; ++i) {
    const auto pair = mqtt::get<mqtt::string_pair>(props, code::USER_PROPERTY, i);
    out.user_properties.emplace_back(std::get<0>(pair), std::get<1>(pair));
  }
  return out;
}

mqtt::message_ptr to_paho(const EdgeMessage& message) {
  auto out = mqtt::make_message(message.topic, message.payload, message.qos, message.retain);
  mqtt::properties props;
  using code = mqtt::property::code;
  if (!message.response_topic.empty()) props.add({code::RESPONSE_TOPIC, message.response_topic});
  if (!message.correlation_data.empty()) {
    props.add({code::CORRELATION_DATA, mqtt::binary_ref(message.correlation_data)});
  }
  if (!message.content_type.empty()) props.add({code::CONTENT_TYPE, message.content_type});
  if (message.message_expiry_s) {
    props.add({code::MESSAGE_EXPIRY_INTERVAL, static_cast<int>(*message.message_expiry_s)});
  }
  if (message.payload_format) {
    props.add({code::PAYLOAD_FORMAT_INDICATOR, static_cast<int>(*message.payload_format)});
  }
  for (const auto& [name, value] : message.user_properties) {
    props.add({code::USER_PROPERTY, name, value});
  }
  out->set_properties(std::move(props));
  return out;
}

}  // namespace arkmq::edge
