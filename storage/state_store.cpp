// StateStore's queue, tickets and writer thread (see state_store.hpp).
// Owned by the durable-store engineer. Everything below `mutex` is shared; `writer` belongs to
// the writer thread once it runs.
#include "storage/state_store.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "storage/state_writer.hpp"

namespace arkmq::storage {

using Ticket = StateStore::Ticket;

struct StateStore::Impl {
  Impl(StateWriter writer_in, StoredState loaded_in, StateStoreOptions options_in)
      : options(std::move(options_in)), writer(std::move(writer_in)), loaded(std::move(loaded_in)) {
    options.batch_max = std::max<std::size_t>(options.batch_max, 1);
    options.capacity = std::max<std::size_t>(options.capacity, 1);
  }

  StateStoreOptions options;
  StateWriter writer;
  StoredState loaded;

  mutable std::mutex mutex;
  std::condition_variable work_cv;   // the writer waits for changes or stop
  std::condition_variable space_cv;  // submitters wait for room
  std::condition_variable done_cv;   // flush() waits for commits
  std::deque<StateOp> queue;
  Ticket last = 0;       // ticket of the newest change queued
  Ticket taken = 0;      // ticket of the newest change the writer took from the queue
  Ticket committed = 0;  // ticket of the newest change committed
  Ticket notified = 0;   // every callback up to this ticket has returned
  std::multimap<Ticket, std::function<void()>> waiters;
  std::optional<Error> last_error;
  StateStoreStats counters;
  bool stop = false;
  bool writer_done = false;
  std::thread thread;

  void run();
  // Commits `batch` (tickets up to `batch_end`), retrying a failing transaction; false when
  // it gave up (only while stopping).
  bool commit(std::unique_lock<std::mutex>& lock, const std::vector<StateOp>& batch);
};

void StateStore::Impl::run() {
  std::vector<StateOp> batch;
  std::vector<std::function<void()>> ready;
  std::unique_lock lock(mutex);
  for (;;) {
    work_cv.wait(lock, [&] { return stop || !queue.empty(); });
    if (queue.empty()) break;  // stopping, everything committed
    // Group commit: everything queued (up to batch_max) goes in one transaction; what arrives
    // while it commits goes in the next.
    const std::size_t count = std::min(queue.size(), options.batch_max);
    batch.clear();
    for (std::size_t i = 0; i < count; ++i) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    taken += count;
    const Ticket batch_end = taken;
    space_cv.notify_all();

    if (!commit(lock, batch)) {
      // Stopping with a disk that keeps failing: these changes and the rest are lost, and
      // their acknowledgements never go out.
      counters.lost += count + queue.size();
      queue.clear();
      break;
    }
    committed = batch_end;
    ++counters.batches;
    counters.committed += count;
    auto end = waiters.upper_bound(committed);
    for (auto it = waiters.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiters.erase(waiters.begin(), end);
    if (!ready.empty()) {
      lock.unlock();
      for (auto& done : ready) done();
      ready.clear();
      lock.lock();
    }
    notified = batch_end;
    done_cv.notify_all();
  }
  writer_done = true;
  done_cv.notify_all();
  space_cv.notify_all();
}

bool StateStore::Impl::commit(std::unique_lock<std::mutex>& lock,
                              const std::vector<StateOp>& batch) {
  auto delay = options.retry_delay;
  int failures_while_stopping = 0;
  for (;;) {
    lock.unlock();
    auto applied = writer.apply(batch);
    if (!applied && options.on_write_error) options.on_write_error(applied.error());
    lock.lock();
    if (applied) return true;
    ++counters.write_errors;
    last_error = applied.error();
    done_cv.notify_all();  // flush() callers report the error
    if (stop && ++failures_while_stopping >= 3) return false;
    // A failing disk is not hammered in a loop; stop() cuts the wait short.
    work_cv.wait_for(lock, delay, [&] { return stop; });
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(2));
  }
}

Result<StateStore> StateStore::open(const std::string& path, StateStoreOptions options) {
  auto db = state_schema::open(path, options.synchronous);
  if (!db) return tl::unexpected(db.error());
  auto writer = StateWriter::create(std::move(*db));
  if (!writer) return tl::unexpected(writer.error());
  auto loaded = writer->load();
  if (!loaded) return tl::unexpected(loaded.error());
  auto impl = std::make_unique<Impl>(std::move(*writer), std::move(*loaded), std::move(options));
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  return StateStore(std::move(impl));
}

StateStore::StateStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StateStore::StateStore(StateStore&&) noexcept = default;

StateStore& StateStore::operator=(StateStore&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

StateStore::~StateStore() { close(); }

StoredState StateStore::take_loaded() {
  if (!impl_) return {};
  std::lock_guard lock(impl_->mutex);
  return std::exchange(impl_->loaded, StoredState{});
}

Ticket StateStore::submit(StateOp op) {
  if (!impl_) return 0;
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (s.stop) return s.last;
  if (s.queue.size() >= s.options.capacity) {
    s.space_cv.wait(lock, [&] { return s.stop || s.queue.size() < s.options.capacity; });
    if (s.stop) return s.last;
  }
  s.queue.push_back(std::move(op));
  if (s.queue.size() == 1) s.work_cv.notify_one();
  return ++s.last;
}

Ticket StateStore::save_session(StoredSession session) {
  return submit(state_op::SaveSession{std::move(session)});
}
Ticket StateStore::remove_session(std::string_view client_id) {
  return submit(state_op::RemoveSession{std::string(client_id)});
}
Ticket StateStore::save_subscription(StoredSubscription subscription) {
  return submit(state_op::SaveSubscription{std::move(subscription)});
}
Ticket StateStore::remove_subscription(std::string_view client_id, std::string_view filter,
                                       std::string_view share_group) {
  return submit(state_op::RemoveSubscription{std::string(client_id), std::string(filter),
                                             std::string(share_group)});
}
Ticket StateStore::save_message(StoredMessage message) {
  return submit(state_op::SaveMessage{std::move(message)});
}
Ticket StateStore::remove_message(std::string_view client_id, std::uint64_t id) {
  return submit(state_op::RemoveMessage{std::string(client_id), id});
}
Ticket StateStore::add_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) {
  return submit(state_op::AddInboundQos2{std::string(client_id), packet_id});
}
Ticket StateStore::remove_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) {
  return submit(state_op::RemoveInboundQos2{std::string(client_id), packet_id});
}
Ticket StateStore::save_retained(StoredRetained retained) {
  return submit(state_op::SaveRetained{std::move(retained)});
}
Ticket StateStore::remove_retained(std::string_view topic) {
  return submit(state_op::RemoveRetained{std::string(topic)});
}

Ticket StateStore::last_ticket() const {
  if (!impl_) return 0;
  std::lock_guard lock(impl_->mutex);
  return impl_->last;
}

Ticket StateStore::committed_ticket() const {
  if (!impl_) return 0;
  std::lock_guard lock(impl_->mutex);
  return impl_->committed;
}

void StateStore::when_committed(Ticket ticket, std::function<void()> done) {
  if (!impl_ || !done) return;
  {
    std::lock_guard lock(impl_->mutex);
    if (ticket > impl_->committed) {
      if (!impl_->writer_done) impl_->waiters.emplace(ticket, std::move(done));
      return;
    }
  }
  done();
}

Result<void> StateStore::flush(std::chrono::milliseconds timeout) {
  if (!impl_) return tl::unexpected(Error{Error::Kind::invalid, "state store: closed"});
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  const Ticket target = s.last;
  const std::uint64_t errors_before = s.counters.write_errors;
  s.done_cv.wait_for(lock, timeout, [&] { return s.notified >= target || s.writer_done; });
  if (s.committed >= target) return {};
  if (s.counters.write_errors != errors_before && s.last_error) {
    return tl::unexpected(*s.last_error);
  }
  return tl::unexpected(Error{Error::Kind::io, s.writer_done
                                                   ? "state store: closed before the commit"
                                                   : "state store: commit still pending"});
}

void StateStore::close() {
  if (!impl_) return;
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    if (s.stop && !s.thread.joinable()) return;
    s.stop = true;
  }
  s.work_cv.notify_one();
  s.space_cv.notify_all();
  if (s.thread.joinable()) s.thread.join();
  std::multimap<Ticket, std::function<void()>> dropped;
  {
    std::lock_guard lock(s.mutex);
    dropped.swap(s.waiters);  // never committed: their acknowledgements must not go out
  }
}

StateStoreStats StateStore::stats() const {
  if (!impl_) return {};
  std::lock_guard lock(impl_->mutex);
  StateStoreStats out = impl_->counters;
  out.queued = impl_->queue.size();
  return out;
}

}  // namespace arkmq::storage
