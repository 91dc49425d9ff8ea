// Fetches the retained status message with a throwaway MQTT 5 client.
#include "edge-client/status_command.hpp"

#include <condition_variable>
#include <mutex>
#include <random>

#include <mqtt/async_client.h>

namespace arkmq::edge {

std::optional<std::string> fetch_status(const LocalConfig& local, std::chrono::milliseconds timeout) {
  std::mutex mutex;
  std::condition_variable arrived;
  std::optional<std::string> status;
  std::random_device device;
  mqtt::async_client client(local.url, "arkmq-edge-status-" + std::to_string(device()),
                            mqtt::create_options(MQTTVERSION_5));
  client.set_message_callback([&](mqtt::const_message_ptr message) {
    {
      std::lock_guard lock(mutex);
      status = message->get_payload_str();
    }
    arrived.notify_all();
  });
  try {
    auto options = mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true)
                       .connect_timeout(timeout).finalize();
    if (!client.connect(options)->wait_for(timeout)) return std::nullopt;
    client.subscribe(local.status_topic, 1)->wait_for(timeout);
    std::optional<std::string> out;
    {
      std::unique_lock lock(mutex);
      arrived.wait_for(lock, timeout, [&] { return status.has_value(); });
      out = status;
    }
    client.disconnect()->wait_for(std::chrono::seconds(2));
    return out;
  } catch (const mqtt::exception&) {
    return std::nullopt;
  }
}

}  // namespace arkmq::edge
