// A value reachable only through lock(): the lock cannot be forgotten (STYLE.md 3).
// Thread-safe; the returned Locked handle must stay on the thread that took it.
#pragma once

#include <mutex>
#include <utility>

namespace arkmq::core {

template <typename T>
class Guarded {
 public:
  // Holds the mutex for its lifetime; the only way to reach the guarded value.
  class Locked {
   public:
    Locked(std::mutex& mutex, T& value) : lock_(mutex), value_(&value) {}
    T* operator->() { return value_; }
    T& operator*() { return *value_; }

   private:
    std::unique_lock<std::mutex> lock_;
    T* value_;
  };

  template <typename... Args>
  explicit Guarded(Args&&... args) : value_(std::forward<Args>(args)...) {}
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;

  Locked lock() { return Locked(mutex_, value_); }

 private:
  std::mutex mutex_;
  T value_;
};

}  // namespace arkmq::core
