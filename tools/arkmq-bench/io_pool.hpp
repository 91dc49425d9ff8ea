// One io_context per thread (default: one per core); each connection lives on one of them for its
// whole life, so a connection's handlers never run concurrently and need no locks.
#pragma once

#include <asio.hpp>

#include <memory>
#include <thread>
#include <vector>

namespace arkmq::bench {

class IoPool {
 public:
  explicit IoPool(unsigned threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  asio::io_context& at(std::size_t i) { return *contexts_[i % contexts_.size()]; }

  // Stops every context and joins the threads; handlers not yet run are dropped. Idempotent.
  void stop();

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace arkmq::bench
