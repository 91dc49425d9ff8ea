// PahoClient and MessageCollector: Paho callbacks only push into collectors under a mutex.
#include "tests/support/paho_helpers.hpp"

#include <unistd.h>

#include <random>

namespace arkmq::test {

mqtt::connect_options v311_options(bool clean_session) {
  return mqtt::connect_options_builder()
      .mqtt_version(MQTTVERSION_3_1_1)
      .clean_session(clean_session)
      .keep_alive_interval(std::chrono::seconds(10))
      .connect_timeout(std::chrono::seconds(5))
      .finalize();
}

mqtt::connect_options v5_options(bool clean_start, std::uint32_t session_expiry) {
  mqtt::properties properties;
  if (session_expiry > 0) {
    properties.add({mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<int>(session_expiry)});
  }
  return mqtt::connect_options_builder()
      .mqtt_version(MQTTVERSION_5)
      .clean_start(clean_start)
      .keep_alive_interval(std::chrono::seconds(10))
      .connect_timeout(std::chrono::seconds(5))
      .properties(properties)
      .finalize();
}

void MessageCollector::add(mqtt::const_message_ptr message) {
  {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
  }
  changed_.notify_all();
}

bool MessageCollector::wait_for(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
}

bool MessageCollector::wait_for_payload(const std::string& payload,
                                        std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    for (const auto& message : messages_) {
      if (message->get_payload_str() == payload) return true;
    }
    return false;
  });
}

std::vector<mqtt::const_message_ptr> MessageCollector::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::size_t MessageCollector::size() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

std::vector<std::string> MessageCollector::payloads() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& message : messages_) out.push_back(message->get_payload_str());
  return out;
}

PahoClient::PahoClient(const std::string& uri, const std::string& client_id, int version)
    : client_(uri, client_id, mqtt::create_options(version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1)) {
  client_.set_message_callback([this](mqtt::const_message_ptr message) { messages_.add(message); });
  client_.set_disconnected_handler([this](const mqtt::properties&, mqtt::ReasonCode reason) {
    {
      std::lock_guard lock(mutex_);
      server_disconnect_ = static_cast<int>(reason);
      lost_ = true;
    }
    changed_.notify_all();
  });
  client_.set_connection_lost_handler([this](const std::string&) {
    {
      std::lock_guard lock(mutex_);
      lost_ = true;
    }
    changed_.notify_all();
  });
}

PahoClient::~PahoClient() {
  try {
    if (client_.is_connected()) client_.disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
    // The broker may already be gone; nothing to clean up then.
  }
}

mqtt::connect_response PahoClient::connect(const mqtt::connect_options& options) {
  // Paho C++ 1.2's connect_options copy keeps pointing at the source's properties, which dangle
  // once a temporary source is gone; re-pointing them at a copy that outlives the call fixes it.
  mqtt::connect_options stable(options);
  if (options.get_mqtt_version() == MQTTVERSION_5) stable.set_properties(options.get_properties());
  auto token = client_.connect(stable);
  if (!token->wait_for(kPahoTimeout)) throw mqtt::exception(MQTTASYNC_OPERATION_INCOMPLETE);
  return token->get_connect_response();
}

std::vector<mqtt::ReasonCode> PahoClient::subscribe(const std::string& filter, int qos,
                                                    const mqtt::subscribe_options& options,
                                                    const mqtt::properties& properties) {
  auto token = client_.subscribe(filter, qos, options, properties);
  try {
    if (!token->wait_for(kPahoTimeout)) throw mqtt::exception(MQTTASYNC_OPERATION_INCOMPLETE);
  } catch (const mqtt::exception& error) {
    // Paho reports a refused filter as an exception; the test wants the reason code itself.
    if (error.get_reason_code() == 0) throw;
    return {static_cast<mqtt::ReasonCode>(error.get_reason_code())};
  }
  return token->get_subscribe_response().get_reason_codes();
}

std::vector<mqtt::ReasonCode> PahoClient::unsubscribe(const std::string& filter) {
  auto token = client_.unsubscribe(filter);
  try {
    if (!token->wait_for(kPahoTimeout)) throw mqtt::exception(MQTTASYNC_OPERATION_INCOMPLETE);
  } catch (const mqtt::exception& error) {
    if (error.get_reason_code() == 0) throw;  // not an UNSUBACK reason: a real failure
    return {static_cast<mqtt::ReasonCode>(error.get_reason_code())};
  }
  return token->get_unsubscribe_response().get_reason_codes();
}

mqtt::ReasonCode PahoClient::publish(const std::string& topic, const std::string& payload, int qos,
                                     bool retain, const mqtt::properties& properties) {
  auto message = mqtt::make_message(topic, payload, qos, retain);
  message->set_properties(properties);
  auto token = client_.publish(message);
  if (!token->wait_for(kPahoTimeout)) throw mqtt::exception(MQTTASYNC_OPERATION_INCOMPLETE);
  return token->get_reason_code();
}

void PahoClient::publish_message(mqtt::message_ptr message) {
  auto token = client_.publish(message);
  if (!token->wait_for(kPahoTimeout)) throw mqtt::exception(MQTTASYNC_OPERATION_INCOMPLETE);
}

void PahoClient::disconnect(mqtt::ReasonCode reason) {
  auto options = mqtt::disconnect_options_builder().reason_code(reason).finalize();
  client_.disconnect(options)->wait_for(kPahoTimeout);
}

std::optional<int> PahoClient::wait_for_server_disconnect(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return server_disconnect_.has_value(); });
  return server_disconnect_;
}

bool PahoClient::wait_for_connection_lost(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return lost_; });
}

std::string unique_client_id(const std::string& stem) {
  std::random_device random;
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(random() % 1000000);
}

std::string user_property(const mqtt::const_message_ptr& message, const std::string& name) {
  if (!message) return "";
  const auto& props = message->get_properties();
  const std::size_t count = props.count(mqtt::property::USER_PROPERTY);
  for (std::size_t i = 0; i < count; ++i) {
    const auto pair = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY, i);
    if (std::get<0>(pair) == name) return std::get<1>(pair);
  }
  return "";
}

}  // namespace arkmq::test
