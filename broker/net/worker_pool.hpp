// Worker threads, each with its own io_context and the connections that live on it. A worker's
// connection set is touched only on its thread (or after the thread stopped); counts are atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/logger.h>

namespace arkmq::net {

class Connection;

// How many connections are alive across all workers; lets stop() wait for the flush.
class ConnectionCount {
 public:
  void increment();
  void decrement();
  std::size_t value() const;
  // True if the count reached zero before the timeout.
  bool wait_for_zero(std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mutex_;
  std::condition_variable zero_;
  std::size_t count_ = 0;
};

class Worker {
 public:
  Worker(std::size_t index, std::chrono::milliseconds tick_interval, ConnectionCount& count,
         std::shared_ptr<spdlog::logger> log);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  asio::io_context& context() { return context_; }
  std::size_t index() const { return index_; }

  void start();  // spawns the thread and the tick timer
  void stop();   // stops the io_context and joins; pending work stays queued

  // Worker thread.
  void add(std::shared_ptr<Connection> connection);
  void remove(Connection* connection);
  void close_all();  // asks every connection to flush and close

  // Only once stopped: every remaining connection ends now (handlers notified).
  void abandon_all();

  std::size_t connection_count() const { return connection_count_.load(std::memory_order_relaxed); }

 private:
  void schedule_tick();

  std::size_t index_;
  std::chrono::milliseconds tick_interval_;
  ConnectionCount& total_;
  std::shared_ptr<spdlog::logger> log_;
  asio::io_context context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer tick_timer_;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  std::atomic<std::size_t> connection_count_{0};
  std::thread thread_;
};

class WorkerPool {
 public:
  // threads == 0: one per hardware thread.
  WorkerPool(std::size_t threads, std::chrono::milliseconds tick_interval,
             std::shared_ptr<spdlog::logger> log);

  Worker& next();  // round robin, any thread
  Worker& at(std::size_t index) { return *workers_[index]; }
  std::size_t size() const { return workers_.size(); }

  void start();
  void close_all();  // posts close_all to every worker
  bool wait_for_no_connections(std::chrono::milliseconds timeout) { return count_.wait_for_zero(timeout); }
  void stop();       // stops and joins every worker, then abandons what is left
  std::size_t connection_count() const { return count_.value(); }

 private:
  ConnectionCount count_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace arkmq::net
