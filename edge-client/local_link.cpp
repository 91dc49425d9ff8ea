// Local broker link.
#include "edge-client/local_link.hpp"

#include <spdlog/spdlog.h>

#include "edge-client/paho_convert.hpp"

namespace arkmq::edge {

LocalLink::LocalLink(const LocalConfig& config)
    : config_(config), client_(config.url, config.client_id + "-pub", mqtt::create_options(MQTTVERSION_5)) {
  client_.set_connection_lost_handler([](const std::string&) {
    spdlog::warn("local broker publisher link down (Paho reconnects)");
  });
}

LocalLink::~LocalLink() { stop(); }

bool LocalLink::start() {
  if (started_.load()) return true;
  auto options = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_5)
                     .clean_start(true)
                     .keep_alive_interval(std::chrono::seconds(30))
                     .connect_timeout(std::chrono::seconds(5))
                     .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(8))
                     .finalize();
  try {
    client_.connect(options)->wait_for(std::chrono::seconds(5));
    if (!client_.is_connected()) return false;
  } catch (const mqtt::exception& error) {
    spdlog::error("local broker: connect failed: {}", error.what());
    return false;
  }
  started_ = true;
  spdlog::info("local broker publisher connected");
  return true;
}

void LocalLink::stop() {
  try {
    if (client_.is_connected()) client_.disconnect()->wait_for(std::chrono::seconds(3));
  } catch (const mqtt::exception& error) {
    spdlog::debug("local broker: disconnect: {}", error.what());
  }
}

bool LocalLink::publish(const EdgeMessage& message) {
  try {
    client_.publish(to_paho(message));
    return true;
  } catch (const mqtt::exception& error) {
    spdlog::debug("local broker: publish to {} failed: {}", message.topic, error.what());
    return false;
  }
}

}  // namespace arkmq::edge
