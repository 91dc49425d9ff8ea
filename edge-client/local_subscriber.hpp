// The receiving half of the link to the edge site's broker, on arkmq's own MQTT 5 codec
// (broker/protocol) over a blocking socket, because Paho C sends the PUBACK for a QoS 1 message
// *before* it runs the message callback (MQTTProtocol_handlePublishes; eclipse-paho/paho.mqtt.cpp
// issue 353), so with Paho a crash right after the PUBACK loses a message nobody stored. Here the
// handler runs first (it commits the message to the outbox) and only then is the PUBACK sent.
// One thread of its own: connect, subscribe (QoS 1, No Local, persistent session), receive,
// ping, reconnect with backoff. start()/stop()/is_subscribed() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edge-client/message.hpp"

namespace arkmq::edge {

struct LocalSubscriberConfig {
  std::string host;
  std::uint16_t port = 1883;
  std::string client_id;
  std::vector<std::string> filters;
  std::chrono::seconds keep_alive{30};
  std::uint32_t session_expiry_s = 86'400;  // the site broker queues for us while we restart
};

class LocalSubscriber {
 public:
  // Runs on the subscriber's thread; when it returns the message is acknowledged.
  using Handler = std::function<void(const EdgeMessage&)>;

  LocalSubscriber(LocalSubscriberConfig config, Handler handler);
  ~LocalSubscriber();
  LocalSubscriber(const LocalSubscriber&) = delete;
  LocalSubscriber& operator=(const LocalSubscriber&) = delete;

  void start();
  void stop();  // DISCONNECT (the session stays at the broker), join
  bool is_subscribed() const { return subscribed_.load(); }

 private:
  void run();
  void serve_one_connection();  // returns when the connection ends or stop() is called
  bool stopping() const;

  LocalSubscriberConfig config_;
  Handler handler_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> subscribed_{false};
  std::thread thread_;
};

}  // namespace arkmq::edge
