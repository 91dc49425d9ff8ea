// The publishing half of the link to the edge site's own broker (Mosquitto): bridged-in messages
// and the retained status. Receiving is LocalSubscriber's job (it must acknowledge after storing,
// which Paho cannot). Paho reconnects it automatically (a loopback broker needs no jitter).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <mqtt/async_client.h>

#include "edge-client/edge_config.hpp"
#include "edge-client/message.hpp"

namespace arkmq::edge {

class LocalLink {
 public:
  explicit LocalLink(const LocalConfig& config);
  ~LocalLink();
  LocalLink(const LocalLink&) = delete;
  LocalLink& operator=(const LocalLink&) = delete;

  // Connects (waits up to 5 s). Until a first connect succeeds, call it again
  // (the status thread does, every second); afterwards Paho reconnects by itself.
  bool start();
  bool started() const { return started_.load(); }
  void stop();
  bool publish(const EdgeMessage& message);
  bool is_up() const { return client_.is_connected(); }

 private:
  LocalConfig config_;
  std::atomic<bool> started_{false};
  mqtt::async_client client_;  // last: destroyed first
};

}  // namespace arkmq::edge
