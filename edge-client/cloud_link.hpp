// The link to the cloud broker: one Paho MQTT 5 client (TLS with the node's certificate in
// production) and our own reconnect loop with exponential backoff and jitter (Paho's automatic
// reconnect has whole-second intervals and no jitter). The link thread also runs the owner's
// on_tick (outbox pump, heartbeats) whenever it is woken or every 250 ms.
// Thread-safe: publish()/is_up()/wake() from any thread; hooks run on the link thread, except
// on_message (Paho's callback thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <mqtt/async_client.h>

#include "edge-client/backoff.hpp"
#include "edge-client/edge_config.hpp"
#include "edge-client/message.hpp"

namespace arkmq::edge {

struct CloudLinkHooks {
  std::function<void()> on_up;     // after the subscriptions: announce, restart the outbox
  std::function<void()> on_down;   // the connection is gone (stop or loss)
  std::function<void()> on_tick;   // link thread, while up
  std::function<void(const EdgeMessage&)> on_message;
};

class CloudLink {
 public:
  CloudLink(const CloudConfig& config, std::vector<std::string> subscriptions, CloudLinkHooks hooks);
  ~CloudLink();
  CloudLink(const CloudLink&) = delete;
  CloudLink& operator=(const CloudLink&) = delete;

  void start();
  // Runs `last` (e.g. withdraw announcements) while still connected, then disconnects.
  void stop(const std::function<void()>& last);

  // Fire and forget (QoS as in the message); false when the link is down.
  bool publish(const EdgeMessage& message);
  // With a listener told of the PUBACK (on_success) or its failure.
  bool publish(const EdgeMessage& message, mqtt::iaction_listener& listener);
  bool is_up() const { return up_.load(); }
  bool was_ever_up() const { return ever_up_.load(); }
  std::int64_t reconnects() const { return reconnects_.load(); }
  void wake();

 private:
  void run();
  bool connect_once();
  void lost();

  CloudConfig config_;
  std::vector<std::string> subscriptions_;
  CloudLinkHooks hooks_;
  Backoff backoff_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  bool lost_ = false;  // set by Paho's thread, handled by the link thread
  std::atomic<bool> up_{false};
  std::atomic<bool> ever_up_{false};
  std::atomic<std::int64_t> reconnects_{0};
  std::thread thread_;
  mqtt::async_client client_;  // last: destroyed first
};

}  // namespace arkmq::edge
