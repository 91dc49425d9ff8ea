// The audit journal's bounded queue and writer thread (see audit_journal.hpp).
// Owned by the audit engineer. Everything below `mutex` is shared; the appender is the writer
// thread's alone.
#include "storage/audit_journal.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace arkmq::storage {

struct AuditJournal::Impl {
  Impl(AuditAppender appender_in, AuditJournalOptions options_in)
      : options(std::move(options_in)), appender(std::move(appender_in)) {
    head = appender.state();
    if (options.batch_max == 0) options.batch_max = 1;
  }

  AuditJournalOptions options;
  AuditAppender appender;  // writer thread only (after construction)

  mutable std::mutex mutex;
  std::condition_variable work_cv;   // the writer waits for events, flush, prune, stop
  std::condition_variable space_cv;  // blocked submitters wait for room
  std::condition_variable done_cv;   // flush() and prune_now() wait for the writer
  std::deque<AuditEvent> queue;
  DropCounts pending_drops;          // not yet in a journal_drop row
  std::uint64_t accepted = 0;        // events ever queued
  std::uint64_t processed = 0;       // of those, committed or lost
  std::uint64_t drops_seen = 0;      // dropped + lost so far
  std::uint64_t drops_reported = 0;  // of those, in a committed journal_drop row
  std::uint64_t flush_requested = 0;  // flush() calls so far
  std::uint64_t flush_served = 0;     // of those, seen by the writer when it took a batch
  std::uint64_t prune_requested = 0;
  std::uint64_t prune_done = 0;
  std::optional<Result<PruneResult>> prune_result;
  std::optional<Error> last_error;
  AuditJournalStats counters;
  audit_schema::ChainState head;
  bool stop = false;
  bool writer_done = false;

  std::thread writer;

  void run();
  bool has_work() const {
    return stop || !queue.empty() || pending_drops.any() || flush_requested != flush_served ||
           prune_requested != prune_done;
  }
  void write_batch(std::unique_lock<std::mutex>& lock, std::vector<AuditEvent>& batch);
  void run_prune(std::unique_lock<std::mutex>& lock, bool requested);
};

void AuditJournal::Impl::run() {
  using Clock = std::chrono::steady_clock;
  const AuditRetention& retention = options.retention;
  auto next_prune = Clock::now() + retention.interval;
  std::vector<AuditEvent> batch;
  batch.reserve(options.batch_max);

  std::unique_lock lock(mutex);
  for (;;) {
    if (retention.enabled()) {
      work_cv.wait_until(lock, next_prune, [&] { return has_work(); });
    } else {
      work_cv.wait(lock, [&] { return has_work(); });
    }
    // A partial batch waits a little for more, unless someone is waiting on the writer.
    if (!queue.empty() && queue.size() < options.batch_max && !stop &&
        flush_requested == flush_served && prune_requested == prune_done) {
      work_cv.wait_for(lock, options.batch_interval, [&] {
        return stop || flush_requested != flush_served || queue.size() >= options.batch_max;
      });
    }
    // Everything a pending flush() waits for is in the queue now, or already written.
    flush_served = flush_requested;
    if (!queue.empty() || pending_drops.any()) {
      const std::uint64_t errors_before = counters.write_errors;
      write_batch(lock, batch);
      // A failing disk should not be hammered in a loop; the next attempt waits a little.
      if (counters.write_errors != errors_before && !stop) {
        work_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop; });
      }
    }

    const bool requested = prune_requested != prune_done;
    if (requested || (retention.enabled() && Clock::now() >= next_prune)) {
      run_prune(lock, requested);
      next_prune = Clock::now() + retention.interval;
    }
    if (stop && queue.empty() && (!pending_drops.any() || last_error)) break;
  }
  writer_done = true;
  done_cv.notify_all();
}

// Called with the lock held; commits without it.
void AuditJournal::Impl::write_batch(std::unique_lock<std::mutex>& lock,
                                     std::vector<AuditEvent>& batch) {
  const std::size_t count = std::min(queue.size(), options.batch_max);
  batch.clear();
  for (std::size_t i = 0; i < count; ++i) {
    batch.push_back(std::move(queue.front()));
    queue.pop_front();
  }
  const DropCounts drops = std::exchange(pending_drops, DropCounts{});
  const std::uint64_t drops_in_row = drops_seen;
  lock.unlock();
  space_cv.notify_all();

  auto written = appender.append(batch, drops);

  lock.lock();
  processed += count;
  if (written) {
    counters.written += count;
    ++counters.batches;
    drops_reported = drops_in_row;
    head = appender.state();
  } else {
    // The events are gone; say so in the next journal_drop row rather than retrying forever.
    ++counters.write_errors;
    counters.lost += count;
    pending_drops.dropped += drops.dropped;
    pending_drops.lost += drops.lost + count;
    drops_seen += count;
    last_error = written.error();
  }
  done_cv.notify_all();
}

void AuditJournal::Impl::run_prune(std::unique_lock<std::mutex>& lock, bool requested) {
  const std::uint64_t generation = prune_requested;
  lock.unlock();
  auto result = appender.prune(options.retention, audit_now_us());
  lock.lock();
  if (result) {
    counters.pruned += static_cast<std::uint64_t>(result->pruned);
    head = appender.state();
  } else {
    last_error = result.error();
  }
  if (requested) {
    prune_result = std::move(result);
    prune_done = generation;
    done_cv.notify_all();
  }
}

Result<AuditJournal> AuditJournal::open(const std::string& path, AuditJournalOptions options) {
  auto appender = AuditAppender::open(path);
  if (!appender) return tl::unexpected(appender.error());
  auto impl = std::make_unique<Impl>(std::move(*appender), std::move(options));
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->run(); });
  return AuditJournal(std::move(impl));
}

AuditJournal::AuditJournal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditJournal::AuditJournal(AuditJournal&&) noexcept = default;

AuditJournal& AuditJournal::operator=(AuditJournal&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

AuditJournal::~AuditJournal() { close(); }

AuditSubmit AuditJournal::submit(AuditEvent event) {
  if (!impl_) return AuditSubmit::closed;
  Impl& s = *impl_;
  if (!s.options.capture_payloads) event.payload.reset();
  if (event.time_us == 0) event.time_us = audit_now_us();
  const bool security = is_security_event(event.type);
  const std::size_t limit = s.options.capacity + (security ? s.options.security_reserve : 0);

  std::unique_lock lock(s.mutex);
  if (s.stop) return AuditSubmit::closed;
  if (s.queue.size() >= limit) {
    const OverflowPolicy policy = security ? s.options.security_overflow : s.options.overflow;
    if (policy == OverflowPolicy::drop_and_count) {
      ++s.pending_drops.dropped;
      ++s.counters.dropped;
      ++s.drops_seen;
      if (s.pending_drops.dropped == 1) s.work_cv.notify_one();
      return AuditSubmit::dropped;
    }
    s.space_cv.wait(lock, [&] { return s.stop || s.queue.size() < limit; });
    if (s.stop) return AuditSubmit::closed;
  }
  s.queue.push_back(std::move(event));
  ++s.accepted;
  // Wake the writer when it may be idle (first event) or when a full batch is ready.
  if (s.queue.size() == 1 || s.queue.size() == s.options.batch_max) s.work_cv.notify_one();
  return AuditSubmit::queued;
}

Result<void> AuditJournal::flush() {
  if (!impl_) return tl::unexpected(Error{Error::Kind::invalid, "audit journal: closed"});
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (s.stop) return tl::unexpected(Error{Error::Kind::invalid, "audit journal: closed"});
  const std::uint64_t target = s.accepted;
  const std::uint64_t drops_target = s.drops_seen;
  const std::uint64_t errors_before = s.counters.write_errors;
  ++s.flush_requested;
  s.work_cv.notify_one();
  s.done_cv.wait(lock, [&] {
    return s.writer_done || s.counters.write_errors != errors_before ||
           (s.processed >= target && s.drops_reported >= drops_target);
  });
  if (s.counters.write_errors != errors_before && s.last_error) {
    return tl::unexpected(*s.last_error);
  }
  if (s.processed < target || s.drops_reported < drops_target) {
    return tl::unexpected(Error{Error::Kind::invalid, "audit journal: closed during flush"});
  }
  return {};
}

Result<PruneResult> AuditJournal::prune_now() {
  if (!impl_) return tl::unexpected(Error{Error::Kind::invalid, "audit journal: closed"});
  Impl& s = *impl_;
  std::unique_lock lock(s.mutex);
  if (s.stop) return tl::unexpected(Error{Error::Kind::invalid, "audit journal: closed"});
  const std::uint64_t generation = ++s.prune_requested;
  s.work_cv.notify_one();
  s.done_cv.wait(lock, [&] { return s.prune_done >= generation; });
  // Concurrent callers may share one run; each sees its result.
  return s.prune_result.value_or(
      tl::unexpected(Error{Error::Kind::io, "audit journal: prune did not run"}));
}

void AuditJournal::close() {
  if (!impl_) return;
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    if (s.stop && !s.writer.joinable()) return;
    s.stop = true;
  }
  s.work_cv.notify_one();
  s.space_cv.notify_all();
  if (s.writer.joinable()) s.writer.join();
  // Waiters for a prune that never ran are released.
  std::lock_guard lock(s.mutex);
  s.prune_done = s.prune_requested;
  s.done_cv.notify_all();
}

AuditJournalStats AuditJournal::stats() const {
  if (!impl_) return {};
  std::lock_guard lock(impl_->mutex);
  AuditJournalStats out = impl_->counters;
  out.queued = impl_->queue.size();
  return out;
}

audit_schema::ChainState AuditJournal::head() const {
  if (!impl_) return {};
  std::lock_guard lock(impl_->mutex);
  return impl_->head;
}

}  // namespace arkmq::storage
