// Worker threads, each with its own io_context and the connections that live on it. A worker's
// connection set, read buffer and outbox are touched only on its thread; counts are atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
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

  // Any thread: `connection` (which lives on this worker) has bytes to write. Called on a
  // worker thread, the request joins that worker's outbox, and at the end of its loop pass the
  // outbox goes out as one post per destination worker (flushes of its own connections run
  // right there): one cross-thread post per destination per pass, not one per delivery, and one
  // write per connection per pass. Called on any other thread, it is posted at once.
  void request_flush(std::shared_ptr<Connection> connection);

  // Worker thread: scratch space for one read (all connections of a worker share it, so an idle
  // connection holds no read buffer). Valid until the next call.
  std::span<std::uint8_t> read_buffer(std::size_t size);

  // Worker thread: a TLS handshake began / ended here (TlsHandshake). Once a burst of them is
  // over, the tick gives the heap pages their short-lived buffers used back to the system.
  void handshake_started() { ++handshakes_in_flight_; }
  void handshake_finished() {
    --handshakes_in_flight_;
    ++handshakes_since_trim_;
  }

  // The workers that may receive this worker's outbox, indexed by Worker::index(); set once by
  // the pool before start(). A worker outside a pool posts every request directly.
  void set_peers(std::vector<Worker*> peers);

  std::size_t connection_count() const { return connection_count_.load(std::memory_order_relaxed); }
  // Batches this worker posted to other workers; for tests and statistics.
  std::uint64_t outbox_posts() const { return outbox_posts_.load(std::memory_order_relaxed); }
  // Any thread: how late this worker's loop runs a 100 ms probe timer (event loop lag): the
  // worst over the last ~1 s, or how overdue the pending probe is now, whichever is larger (a
  // stalled loop shows at once). For metrics and $SYS.
  std::chrono::microseconds loop_lag() const;

 private:
  void schedule_tick();
  void end_of_pass();  // sends the outbox: one post per destination worker
  void schedule_lag_probe();
  void release_handshake_memory(std::chrono::steady_clock::time_point now);

  std::size_t index_;
  std::chrono::milliseconds tick_interval_;
  ConnectionCount& total_;
  std::shared_ptr<spdlog::logger> log_;
  // Before context_: a handshake still pending when the context is destroyed reports its end.
  std::size_t handshakes_in_flight_ = 0;
  std::size_t handshakes_since_trim_ = 0;
  std::chrono::steady_clock::time_point last_trim_{};
  asio::io_context context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer tick_timer_;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  std::atomic<std::size_t> connection_count_{0};
  std::atomic<std::uint64_t> outbox_posts_{0};
  // The loop lag probe (loop_lag()): its timer, when the pending probe is due (steady clock
  // nanoseconds), the worst lateness of the last finished window; the window on the worker thread.
  asio::steady_timer lag_timer_;
  std::atomic<std::int64_t> lag_due_ns_{0};
  std::atomic<std::int64_t> lag_max_us_{0};
  std::int64_t lag_window_max_us_ = 0;
  int lag_window_probes_ = 0;
  std::vector<Worker*> peers_;
  // Worker thread: flush requests gathered during this loop pass, by destination worker.
  std::vector<std::vector<std::shared_ptr<Connection>>> outbox_;
  bool pass_end_posted_ = false;
  std::vector<std::uint8_t> read_buffer_;
  std::thread thread_;
};

// How many workers `threads == 0` means: the CPUs this process may run on (its affinity mask,
// so a broker started under taskset or a cpuset gets one worker per CPU it has, and no threads
// that would only take turns on one core), at least 1.
std::size_t available_cpus();

class WorkerPool {
 public:
  // threads == 0: one per available CPU (available_cpus()).
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
