// An mqtt:// backend: a call to method M is an MQTT 5 request published on the edge site's
// broker to <topic>/M with a Response Topic private to this edge and a Correlation Data; the
// reply is awaited until the call's deadline. Thread-safe: pending calls live behind a mutex,
// completed from Paho's callback thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <mqtt/async_client.h>

#include "edge-client/backend.hpp"
#include "edge-client/edge_config.hpp"

namespace arkmq::edge {

class MqttBackend final : public Backend {
 public:
  MqttBackend(const ServiceConfig& service, const std::string& node);
  ~MqttBackend() override;
  MqttBackend(const MqttBackend&) = delete;
  MqttBackend& operator=(const MqttBackend&) = delete;

  // The reply's payload and Content Type come back; a reply carrying the user property
  // `svc-status: backend_error` is passed on as a backend error.
  BackendResult call(const BackendRequest& request) override;
  bool check_health(std::chrono::milliseconds timeout) override;  // connected (or connects)

 private:
  bool ensure_connected(SteadyClock::time_point deadline);
  void on_message(mqtt::const_message_ptr message);

  std::string service_;
  std::string where_;
  std::string request_topic_;
  std::string reply_topic_;
  std::mutex mutex_;  // guards pending_, next_id_, connecting
  std::condition_variable replied_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, mqtt::const_message_ptr> pending_;  // null until the reply arrives
  std::mutex connect_mutex_;  // one connect attempt at a time
  mqtt::async_client client_;  // last: destroyed first, so callbacks never see a dead member
};

}  // namespace arkmq::edge
