// A fixed pool of threads running service calls, so a slow backend never blocks Paho's callback
// thread. Bounded queue: post() refuses work when it is full (the call is answered as an error).
// Thread-safe; the destructor drains nothing: queued calls are dropped, running ones finish.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace arkmq::edge {

class CallWorkers {
 public:
  CallWorkers(int threads, std::size_t max_queue);
  ~CallWorkers();
  CallWorkers(const CallWorkers&) = delete;
  CallWorkers& operator=(const CallWorkers&) = delete;

  bool post(std::function<void()> job);  // false: queue full or stopping
  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  std::size_t max_queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace arkmq::edge
