// Worker threads and their per-thread connection sets, tick timers, shared read buffers and the
// per-pass outbox that batches flush requests to other workers.
#include "broker/net/worker_pool.hpp"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>

#include <asio/post.hpp>

#include "broker/net/connection.hpp"

namespace arkmq::net {

namespace {

// The worker whose thread this is (null on any other thread). It names the calling thread, as
// Asio's own call stack does; it holds no shared state. Set once when a worker thread starts.
thread_local Worker* this_thread_worker = nullptr;

}  // namespace

std::size_t available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) {
      return static_cast<std::size_t>(count);
    }
  }
  return std::max(1U, std::thread::hardware_concurrency());
}

void ConnectionCount::increment() {
  std::lock_guard lock(mutex_);
  ++count_;
}

void ConnectionCount::decrement() {
  std::lock_guard lock(mutex_);
  if (--count_ == 0) {
    zero_.notify_all();
  }
}

std::size_t ConnectionCount::value() const {
  std::lock_guard lock(mutex_);
  return count_;
}

bool ConnectionCount::wait_for_zero(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return zero_.wait_for(lock, timeout, [this] { return count_ == 0; });
}

Worker::Worker(std::size_t index, std::chrono::milliseconds tick_interval, ConnectionCount& count,
               std::shared_ptr<spdlog::logger> log)
    : index_(index),
      tick_interval_(tick_interval),
      total_(count),
      log_(std::move(log)),
      work_(asio::make_work_guard(context_)),
      tick_timer_(context_),
      lag_timer_(context_) {}

Worker::~Worker() {
  stop();
  abandon_all();
}

void Worker::start() {
  schedule_tick();
  schedule_lag_probe();
  thread_ = std::thread([this] {
    this_thread_worker = this;
    // OpenSSL writes TLS records with write(2), not send(MSG_NOSIGNAL) as Asio does: a peer
    // that reset its connection would raise SIGPIPE and end the process. Blocked here, the
    // write fails with EPIPE instead (the signal stays pending on this thread, harmlessly).
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    // A handler that throws is a bug (the data path reports errors as values); log it and keep
    // the worker serving its other connections rather than losing the thread.
    for (int restarts = 0; !context_.stopped() && restarts < 1000; ++restarts) {
      try {
        context_.run();
      } catch (const std::exception& error) {
        log_->critical("worker {}: unexpected exception: {}", index_, error.what());
      }
    }
  });
}

void Worker::stop() {
  context_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Worker::add(std::shared_ptr<Connection> connection) {
  Connection* key = connection.get();
  if (connections_.emplace(key, std::move(connection)).second) {
    connection_count_.fetch_add(1, std::memory_order_relaxed);
    total_.increment();
  }
}

void Worker::remove(Connection* connection) {
  if (connections_.erase(connection) != 0) {
    connection_count_.fetch_sub(1, std::memory_order_relaxed);
    total_.decrement();
  }
}

void Worker::close_all() {
  for (auto& [key, connection] : connections_) {
    connection->close();
  }
}

void Worker::abandon_all() {
  // Flush requests not sent yet may hold connections of other workers: released now, while
  // every worker's io_context still exists.
  for (auto& batch : outbox_) {
    batch.clear();
  }
  pass_end_posted_ = false;
  // abandon() removes the connection from the map, so iterate over a snapshot.
  std::vector<std::shared_ptr<Connection>> snapshot;
  snapshot.reserve(connections_.size());
  for (auto& [key, connection] : connections_) {
    snapshot.push_back(connection);
  }
  for (auto& connection : snapshot) {
    connection->abandon();
  }
}

void Worker::set_peers(std::vector<Worker*> peers) {
  peers_ = std::move(peers);
  outbox_.resize(peers_.size());
}

void Worker::request_flush(std::shared_ptr<Connection> connection) {
  Worker* source = this_thread_worker;
  if (source == nullptr || index_ >= source->peers_.size() || source->peers_[index_] != this) {
    // Not a worker of this pool (a test, the shutdown hook, the durable store's writer).
    asio::post(context_, [connection = std::move(connection)] { connection->flush(); });
    return;
  }
  source->outbox_[index_].push_back(std::move(connection));
  if (!source->pass_end_posted_) {
    source->pass_end_posted_ = true;
    // Queued behind every handler already ready, so it runs once this pass's reads are handled.
    asio::post(source->context_, [source] { source->end_of_pass(); });
  }
}

void Worker::end_of_pass() {
  pass_end_posted_ = false;
  for (std::size_t i = 0; i < outbox_.size(); ++i) {
    if (outbox_[i].empty()) {
      continue;
    }
    std::vector<std::shared_ptr<Connection>> batch;
    batch.swap(outbox_[i]);
    auto flush_all = [batch = std::move(batch)] {
      for (const auto& connection : batch) {
        connection->flush();
      }
    };
    if (peers_[i] == this) {
      flush_all();
    } else {
      outbox_posts_.fetch_add(1, std::memory_order_relaxed);
      asio::post(peers_[i]->context_, std::move(flush_all));
    }
  }
}

std::span<std::uint8_t> Worker::read_buffer(std::size_t size) {
  if (read_buffer_.size() < size) {
    read_buffer_.resize(size);
  }
  return std::span<std::uint8_t>(read_buffer_.data(), size);
}

void Worker::schedule_tick() {
  tick_timer_.expires_after(tick_interval_);
  tick_timer_.async_wait([this](std::error_code error) {
    if (error) {
      return;
    }
    // A tick may close connections (and so change the map): iterate over a snapshot.
    std::vector<std::shared_ptr<Connection>> snapshot;
    snapshot.reserve(connections_.size());
    for (auto& [key, connection] : connections_) {
      snapshot.push_back(connection);
    }
    const auto now = Clock::now();
    for (auto& connection : snapshot) {
      connection->tick(now);
    }
    release_handshake_memory(now);
    schedule_tick();
  });
}

void Worker::release_handshake_memory(std::chrono::steady_clock::time_point now) {
  // A TLS handshake allocates some 50 KiB of buffers that live only while it runs. After a
  // burst, the freed pages stay resident: they sit between the connections made meanwhile, so
  // the heap cannot shrink from its top (about 10 KiB per connection measured after 1,000
  // handshakes). malloc_trim gives them back. It walks the free lists under the arena locks,
  // so only once a burst is over (none in flight here), after enough handshakes to matter, and
  // at most once per interval.
  constexpr std::size_t kAfterHandshakes = 64;
  constexpr auto kInterval = std::chrono::seconds(10);
  if (handshakes_in_flight_ != 0 || handshakes_since_trim_ < kAfterHandshakes ||
      (last_trim_ != std::chrono::steady_clock::time_point{} && now - last_trim_ < kInterval)) {
    return;
  }
  handshakes_since_trim_ = 0;
  last_trim_ = now;
  ::malloc_trim(0);
}

namespace {
constexpr auto kLagProbeInterval = std::chrono::milliseconds(100);
constexpr int kLagProbesPerWindow = 10;  // loop_lag() reports the worst of the last ~1 s

std::int64_t steady_ns(std::chrono::steady_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}
}  // namespace

void Worker::schedule_lag_probe() {
  const auto due = std::chrono::steady_clock::now() + kLagProbeInterval;
  lag_due_ns_.store(steady_ns(due), std::memory_order_relaxed);
  lag_timer_.expires_at(due);
  lag_timer_.async_wait([this, due](std::error_code error) {
    if (error) {
      return;
    }
    // How long after its deadline the loop got to this handler: the time every other ready
    // handler (reads, routing, writes) kept it busy.
    const auto late = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - due);
    lag_window_max_us_ = std::max<std::int64_t>(lag_window_max_us_, late.count());
    if (++lag_window_probes_ >= kLagProbesPerWindow) {
      lag_max_us_.store(lag_window_max_us_, std::memory_order_relaxed);
      lag_window_max_us_ = 0;
      lag_window_probes_ = 0;
    }
    schedule_lag_probe();
  });
}

std::chrono::microseconds Worker::loop_lag() const {
  const std::int64_t due = lag_due_ns_.load(std::memory_order_relaxed);
  const std::int64_t overdue_us =
      due == 0 ? 0 : (steady_ns(std::chrono::steady_clock::now()) - due) / 1000;
  return std::chrono::microseconds(
      std::max(lag_max_us_.load(std::memory_order_relaxed), overdue_us));
}

WorkerPool::WorkerPool(std::size_t threads, std::chrono::milliseconds tick_interval,
                       std::shared_ptr<spdlog::logger> log) {
  if (threads == 0) {
    threads = available_cpus();
  }
  workers_.reserve(threads);
  std::vector<Worker*> peers;
  for (std::size_t i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, tick_interval, count_, log));
    peers.push_back(workers_.back().get());
  }
  for (auto& worker : workers_) {
    worker->set_peers(peers);
  }
}

Worker& WorkerPool::next() {
  return *workers_[next_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
}

void WorkerPool::start() {
  for (auto& worker : workers_) {
    worker->start();
  }
}

void WorkerPool::close_all() {
  for (auto& worker : workers_) {
    asio::post(worker->context(), [w = worker.get()] { w->close_all(); });
  }
}

void WorkerPool::stop() {
  for (auto& worker : workers_) {
    worker->stop();
  }
  for (auto& worker : workers_) {
    worker->abandon_all();
  }
}

}  // namespace arkmq::net
