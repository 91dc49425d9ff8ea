// Periodic backend health checks (one thread). A change of a service's availability is reported
// through the callback, which re-announces it. available() is safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "edge-client/backend.hpp"

namespace arkmq::edge {

class HealthMonitor {
 public:
  struct Target {
    Backend* backend;
    std::chrono::milliseconds interval;
  };
  using Changed = std::function<void(std::size_t index, bool available)>;

  HealthMonitor(std::vector<Target> targets, Changed changed);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void check_all_now();  // synchronous, before the first announcement; no callbacks
  void start();
  void stop();
  bool available(std::size_t index) const;
  std::int64_t checks_failed(std::size_t index) const;  // since start, for the metrics

 private:
  void run();

  std::vector<Target> targets_;
  Changed changed_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<bool> available_;
  std::vector<std::int64_t> failed_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace arkmq::edge
