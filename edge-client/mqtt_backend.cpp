// MQTT request/response backend over the edge site's broker.
#include "edge-client/mqtt_backend.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "edge-client/paho_convert.hpp"

namespace arkmq::edge {
namespace {

std::string random_suffix() {
  std::random_device device;
  return std::to_string(device()) + std::to_string(device());
}

std::string broker_url(const BackendUrl& url) {
  return "tcp://" + url.host + ":" + std::to_string(url.port);
}

}  // namespace

MqttBackend::MqttBackend(const ServiceConfig& service, const std::string& node)
    : service_(service.name), where_(broker_url(service.backend)),
      request_topic_(service.mqtt_topic),
      reply_topic_("arkmq-edge/" + node + "/replies/" + service.name + "/" + random_suffix()),
      client_(broker_url(service.backend), "arkmq-edge-" + node + "-" + service.name + "-" + random_suffix(),
              mqtt::create_options(MQTTVERSION_5)) {
  client_.set_message_callback([this](mqtt::const_message_ptr message) { on_message(std::move(message)); });
}

MqttBackend::~MqttBackend() {
  try {
    if (client_.is_connected()) client_.disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
    // shutting down: nothing left to tell
  }
}

bool MqttBackend::ensure_connected(SteadyClock::time_point deadline) {
  std::lock_guard lock(connect_mutex_);
  if (client_.is_connected()) return true;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  if (left.count() <= 0) return false;
  try {
    auto options = mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_5)
                       .clean_start(true)
                       .keep_alive_interval(std::chrono::seconds(30))
                       .connect_timeout(std::max(left, std::chrono::milliseconds(1000)))
                       .finalize();
    auto token = client_.connect(options);
    if (!token->wait_for(left) || !client_.is_connected()) return false;
    auto sub = client_.subscribe(reply_topic_, 1);
    return sub->wait_for(std::chrono::seconds(5));
  } catch (const mqtt::exception& error) {
    spdlog::warn("service {}: mqtt backend {} connect failed: {}", service_, where_, error.what());
    return false;
  }
}

void MqttBackend::on_message(mqtt::const_message_ptr message) {
  const auto& props = message->get_properties();
  if (!props.contains(mqtt::property::CORRELATION_DATA)) return;
  const auto id = mqtt::get<std::string>(props, mqtt::property::CORRELATION_DATA);
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;  // late or unknown: the call has given up
    it->second = std::move(message);
  }
  replied_.notify_all();
}

BackendResult MqttBackend::call(const BackendRequest& request) {
  if (!ensure_connected(request.deadline)) {
    spdlog::warn("service {}: mqtt backend {} unreachable", service_, where_);
    return BackendResult::failure("backend unreachable");
  }
  std::string id;
  {
    std::lock_guard lock(mutex_);
    id = std::to_string(next_id_++);
    pending_.emplace(id, nullptr);
  }
  EdgeMessage out;
  out.topic = request_topic_ + "/" + request.method;
  out.payload = request.payload;
  out.qos = 1;
  out.content_type = request.content_type;
  out.response_topic = reply_topic_;
  out.correlation_data = id;
  try {
    client_.publish(to_paho(out));
  } catch (const mqtt::exception& error) {
    std::lock_guard lock(mutex_);
    pending_.erase(id);
    spdlog::warn("service {}: mqtt backend {} publish failed: {}", service_, where_, error.what());
    return BackendResult::failure("backend unreachable");
  }
  std::unique_lock lock(mutex_);
  replied_.wait_until(lock, request.deadline, [&] { return pending_[id] != nullptr; });
  const mqtt::const_message_ptr reply = pending_[id];
  pending_.erase(id);
  lock.unlock();
  if (!reply) {
    spdlog::warn("service {}: mqtt backend {} did not answer before the deadline", service_, where_);
    return BackendResult::failure("backend did not answer before the deadline");
  }
  const EdgeMessage in = from_paho(*reply);
  BackendResult result;
  if (in.user_property("svc-status") == "backend_error") {
    result.error = "backend reported an error";
    return result;
  }
  result.status = CallStatus::ok;
  result.payload = in.payload;
  result.content_type = in.content_type;
  return result;
}

bool MqttBackend::check_health(std::chrono::milliseconds timeout) {
  return ensure_connected(SteadyClock::now() + timeout);
}

}  // namespace arkmq::edge
