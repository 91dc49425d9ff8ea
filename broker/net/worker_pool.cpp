// Worker threads and their per-thread connection sets and tick timers.
#include "broker/net/worker_pool.hpp"

#include <asio/post.hpp>

#include "broker/net/connection.hpp"

namespace arkmq::net {

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
      tick_timer_(context_) {}

Worker::~Worker() {
  stop();
  abandon_all();
}

void Worker::start() {
  schedule_tick();
  thread_ = std::thread([this] {
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
    schedule_tick();
  });
}

WorkerPool::WorkerPool(std::size_t threads, std::chrono::milliseconds tick_interval,
                       std::shared_ptr<spdlog::logger> log) {
  if (threads == 0) {
    threads = std::max(1U, std::thread::hardware_concurrency());
  }
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, tick_interval, count_, log));
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
