// Message construction and the outbound PUBLISH per layout.
#include "broker/core/message_builder.hpp"

#include <utility>

namespace arkmq::core {
namespace {

// Only what [MQTT-3.3.2] says the server forwards to subscribers.
protocol::Properties forwardable(protocol::Properties&& in) {
  protocol::Properties out;
  out.payload_format_indicator = in.payload_format_indicator;
  out.content_type = std::move(in.content_type);
  out.response_topic = std::move(in.response_topic);
  out.correlation_data = std::move(in.correlation_data);
  out.user_properties = std::move(in.user_properties);
  return out;
}

std::optional<TimePoint> expiry_from(const protocol::Properties& properties, TimePoint now) {
  if (!properties.message_expiry_interval) return std::nullopt;
  return now + std::chrono::seconds(*properties.message_expiry_interval);
}

}  // namespace

MessagePtr make_message(protocol::Publish&& publish, const std::string& origin_client_id,
                        TimePoint now) {
  auto message = std::make_shared<Message>();
  message->expires_at = expiry_from(publish.properties, now);
  message->topic = std::move(publish.topic);
  message->payload = std::move(publish.payload);
  message->qos = publish.qos;
  message->retain = publish.retain;
  message->properties = forwardable(std::move(publish.properties));
  message->origin_client_id = origin_client_id;
  return message;
}

MessagePtr make_will_message(const protocol::Will& will, const std::string& origin_client_id,
                             TimePoint now) {
  auto message = std::make_shared<Message>();
  message->expires_at = expiry_from(will.properties, now);
  message->topic = will.topic;
  message->payload = will.payload;
  message->qos = will.qos;
  message->retain = will.retain;
  message->properties = forwardable(protocol::Properties(will.properties));
  message->origin_client_id = origin_client_id;
  return message;
}

protocol::Publish make_outbound_publish(const Outbound& out, TopicForm topic_form, TimePoint now) {
  const Message& message = *out.message;
  protocol::Publish publish;
  if (!topic_form.omit_topic) publish.topic = message.topic;
  publish.payload = message.payload;
  publish.qos = out.qos;
  publish.retain = out.retain;
  publish.packet_id = out.qos == protocol::QoS::at_most_once ? 0 : 1;
  publish.properties = message.properties;
  publish.properties.subscription_identifiers = out.subscription_ids;
  if (topic_form.alias != 0) publish.properties.topic_alias = topic_form.alias;
  if (message.expires_at) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(*message.expires_at - now).count();
    publish.properties.message_expiry_interval = static_cast<std::uint32_t>(left < 1 ? 1 : left);
  }
  return publish;
}

}  // namespace arkmq::core
