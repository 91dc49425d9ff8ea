// Health checks: each target at its own interval; a check's timeout is min(interval, 2 s).
#include "edge-client/health_monitor.hpp"

#include <algorithm>

namespace arkmq::edge {
namespace {

std::chrono::milliseconds check_timeout(std::chrono::milliseconds interval) {
  return std::min(interval, std::chrono::milliseconds(2000));
}

}  // namespace

HealthMonitor::HealthMonitor(std::vector<Target> targets, Changed changed)
    : targets_(std::move(targets)), changed_(std::move(changed)), available_(targets_.size(), false),
      failed_(targets_.size(), 0) {}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::check_all_now() {
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    const bool ok = targets_[i].backend->check_health(check_timeout(targets_[i].interval));
    std::lock_guard lock(mutex_);
    available_[i] = ok;
    if (!ok) ++failed_[i];
  }
}

void HealthMonitor::start() { thread_ = std::thread([this] { run(); }); }

void HealthMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool HealthMonitor::available(std::size_t index) const {
  std::lock_guard lock(mutex_);
  return index < available_.size() && available_[index];
}

std::int64_t HealthMonitor::checks_failed(std::size_t index) const {
  std::lock_guard lock(mutex_);
  return index < failed_.size() ? failed_[index] : 0;
}

void HealthMonitor::run() {
  std::vector<SteadyClock::time_point> due(targets_.size());
  for (std::size_t i = 0; i < targets_.size(); ++i) due[i] = SteadyClock::now() + targets_[i].interval;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      const auto next = due.empty() ? SteadyClock::now() + std::chrono::hours(1)
                                    : *std::min_element(due.begin(), due.end());
      if (wake_.wait_until(lock, next, [&] { return stopping_; })) return;
    }
    const auto now = SteadyClock::now();
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      if (due[i] > now) continue;
      const bool ok = targets_[i].backend->check_health(check_timeout(targets_[i].interval));
      due[i] = SteadyClock::now() + targets_[i].interval;
      bool changed = false;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        changed = available_[i] != ok;
        available_[i] = ok;
        if (!ok) ++failed_[i];
      }
      if (changed) changed_(i, ok);
    }
  }
}

}  // namespace arkmq::edge
