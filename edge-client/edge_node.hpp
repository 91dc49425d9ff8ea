// arkmq-edge's runtime: wires the cloud link, the local link, the backends and their health
// checks, the call workers, the bridge, the outbox and the status publisher. Built and started
// by main; stop() (or the destructor) shuts everything down in dependency order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <mqtt/iaction_listener.h>

#include "edge-client/backend.hpp"
#include "edge-client/bridge_rules.hpp"
#include "edge-client/call_dispatch.hpp"
#include "edge-client/call_workers.hpp"
#include "edge-client/cloud_link.hpp"
#include "edge-client/edge_config.hpp"
#include "edge-client/edge_metrics.hpp"
#include "edge-client/health_monitor.hpp"
#include "edge-client/local_link.hpp"
#include "edge-client/local_subscriber.hpp"
#include "edge-client/outbox.hpp"
#include "edge-client/outbox_sender.hpp"
#include "edge-client/status.hpp"

namespace arkmq::edge {

class EdgeNode {
 public:
  // Opens the outbox and builds the backends; throws std::runtime_error on failure.
  explicit EdgeNode(EdgeConfig config);
  ~EdgeNode();
  EdgeNode(const EdgeNode&) = delete;
  EdgeNode& operator=(const EdgeNode&) = delete;

  void start();
  void stop();
  StatusSnapshot status() const;
  // The Prometheus text served on /metrics (docs/edge.md, "Metrics"); any thread.
  std::string metrics_text() const;

 private:
  // Told of the cloud's PUBACK for outbox messages (Paho's callback thread).
  class AckListener final : public mqtt::iaction_listener {
   public:
    explicit AckListener(EdgeNode& node) : node_(node) {}
    void on_success(const mqtt::token& token) override;
    void on_failure(const mqtt::token& token) override;

   private:
    EdgeNode& node_;
  };

  void on_cloud_message(const EdgeMessage& message);
  void on_local_message(const EdgeMessage& message);
  void handle_call(const EdgeMessage& message);
  void run_call(std::size_t service, const CallRequest& request);
  void announce(std::size_t service);
  void announce_all();
  void withdraw_all();
  void on_link_tick();
  void status_loop();
  void mark_status_dirty();

  EdgeConfig config_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<OutboxSender> sender_;
  Bridge bridge_;
  std::vector<std::unique_ptr<Backend>> backends_;
  AckListener acks_{*this};
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<CallWorkers> workers_;
  std::unique_ptr<LocalLink> local_;             // publishes (bridged in, status)
  std::unique_ptr<LocalSubscriber> subscriber_;  // receives (bridged out), acks after storing
  std::unique_ptr<CloudLink> cloud_;
  EdgeMetrics metrics_;
  std::unique_ptr<http::Endpoint> metrics_endpoint_;  // null unless [metrics] listen is set

  std::atomic<std::int64_t> calls_ok_{0};
  std::atomic<std::int64_t> calls_failed_{0};
  std::atomic<std::int64_t> bridged_out_{0};
  std::atomic<std::int64_t> bridged_in_{0};
  std::atomic<std::int64_t> dropped_qos0_{0};
  std::mutex announce_mutex_;
  SteadyClock::time_point last_announce_;

  std::mutex status_mutex_;
  std::condition_variable status_wake_;
  bool status_dirty_ = true;
  bool stopping_ = false;
  std::thread status_thread_;
};

}  // namespace arkmq::edge
