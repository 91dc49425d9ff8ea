// Bytes handed to a connection by any thread, waiting for the worker's next write. The mutex is
// reachable only through the methods below, so it cannot be forgotten; the sections are short.
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "broker/core/client_link.hpp"

namespace arkmq::net {

class SendQueue {
 public:
  // Appends; returns true when the caller must schedule a flush (none was scheduled yet).
  bool push(core::SharedBytes bytes) {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(bytes));
    return !std::exchange(flush_scheduled_, true);
  }

  // Worker thread: the flush task runs; later pushes schedule a new one.
  void flush_started() {
    std::lock_guard lock(mutex_);
    flush_scheduled_ = false;
  }

  // Worker thread: moves everything queued into `out` (which the caller cleared).
  void take_all(std::vector<core::SharedBytes>& out) {
    std::lock_guard lock(mutex_);
    out.swap(pending_);
  }

  bool empty() const {
    std::lock_guard lock(mutex_);
    return pending_.empty();
  }

  // Drops everything queued; returns how many bytes that was.
  std::size_t clear() {
    std::lock_guard lock(mutex_);
    std::size_t bytes = 0;
    for (const auto& item : pending_) {
      bytes += item->size();
    }
    pending_.clear();
    return bytes;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<core::SharedBytes> pending_;
  bool flush_scheduled_ = false;
};

}  // namespace arkmq::net
