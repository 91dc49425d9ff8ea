// The read loop, the one-outstanding-write loop and the close sequence of a client connection.
// States: open -> flushing (close asked) -> shutting_down (handler notified) -> closed; any error
// jumps to closed. on_transport_closed is called exactly once, in notify_closed().
// I/O is non-blocking, TCP and TLS alike (Stream): read or write first, wait for readiness only
// when the socket (or OpenSSL) says so. Asio's reactor is edge-triggered, so a readiness wait is
// only issued right after a read that found nothing more, in the same handler.
// Flow control: while open, a handler's read_paused_until() stops the read loop until that time
// (the timer); the bytes already read were all handed over, so nothing is reordered or lost.
#include "broker/net/connection.hpp"

#include <algorithm>

#include <asio/post.hpp>

#include "broker/net/weak_link.hpp"
#include "broker/net/worker_pool.hpp"

namespace arkmq::net {

namespace {

// One write's size: large enough for one system call to carry thousands of small PUBLISHes,
// small enough that a slow reader completes writes (and so counts as draining) regularly.
constexpr std::size_t kMaxWriteBytes = 256 * 1024;
// Buffers larger than this are released once a burst is written, so a connection that was
// busy once does not keep its peak memory while idle.
constexpr std::size_t kKeepWriteBuffer = 16 * 1024;
constexpr std::size_t kKeepPending = 256;
constexpr int kDirectWriteRounds = 4;
// Handler calls for held frames whose pause had already ended, before yielding to the loop.
constexpr int kResumeRounds = 64;

}  // namespace

Connection::Connection(Worker& worker, std::shared_ptr<const ConnectionParams> params,
                       Stream stream)
    : worker_(worker), params_(std::move(params)), stream_(std::move(stream)) {
  std::error_code ignored;
  peer_ = stream_.socket().remote_endpoint(ignored);
}

Connection::~Connection() {
  // Normally notify_closed() ran; this covers a connection torn down with its io_context.
  if (handler_ && !notified_) {
    handler_->on_transport_closed();
  }
}

asio::steady_timer& Connection::timer() {
  if (!timer_) {
    timer_ = std::make_unique<asio::steady_timer>(worker_.context());
  }
  return *timer_;
}

void Connection::start(const HandlerFactory& factory, core::ConnectionInfo info) {
  info.peer = peer();
  // The handler gets a weak link: no ownership cycle, and a link kept by the core after the
  // connection ends is harmless. The worker's set and pending operations own the connection.
  handler_ = factory(std::move(info), std::make_shared<WeakLink>(weak_from_this()));
  if (!handler_) {
    fail("no handler");
    return;
  }
  worker_.add(shared_from_this());
  read_now();
}

void Connection::tick(Clock::time_point now) {
  // A write outstanding since before the previous tick has not completed for a whole interval:
  // the peer is not reading. (A slow reader completes a kMaxWriteBytes write well within it.)
  const std::uint64_t started = writes_started_.load(std::memory_order_relaxed);
  draining_.store(!writing_ || started > write_seq_at_tick_, std::memory_order_relaxed);
  write_seq_at_tick_ = started;
  if (state_ == State::open && handler_) {
    handler_->on_tick(now);
  }
}

void Connection::abandon() {
  auto self = shared_from_this();
  close_socket();
  notify_closed();
}

void Connection::send(core::SharedBytes bytes) {
  if (!bytes || bytes->empty() || !accepting_sends_.load(std::memory_order_acquire)) {
    return;
  }
  auto self = weak_from_this().lock();
  if (!self) {
    return;  // called while the connection is being destroyed
  }
  const std::size_t size = bytes->size();
  const std::size_t limit = params_->limits.max_queued_bytes;
  const std::size_t total = queued_bytes_.fetch_add(size, std::memory_order_acq_rel) + size;
  if (total > limit) {
    queued_bytes_.fetch_sub(size, std::memory_order_acq_rel);
    if (!overflowed_.exchange(true)) {
      asio::post(worker_.context(), [self, total, limit] {
        self->fail("cannot keep up: " + std::to_string(total) + " bytes queued, limit " +
                   std::to_string(limit));
      });
    }
    return;
  }
  // The queue keeps the order of every send (they come under the broker lock); only the wake-up
  // is batched: once per connection until its flush runs, once per worker per loop pass.
  if (queue_.push(std::move(bytes))) {
    worker_.request_flush(std::move(self));
  }
}

std::size_t Connection::queued_bytes() const {
  return queued_bytes_.load(std::memory_order_acquire);
}

void Connection::close() {
  if (auto self = weak_from_this().lock()) {
    asio::post(worker_.context(), [self] { self->begin_close(); });
  }
}

void Connection::read_now() {
  reading_ = false;
  if (state_ == State::closed) {
    return;
  }
  const std::span<std::uint8_t> buffer = worker_.read_buffer(params_->limits.read_buffer_bytes);
  // After our shutdown the peer's bytes (TLS records too) are only drained, until its FIN.
  const IoResult result =
      state_ == State::shutting_down ? stream_.discard(buffer) : stream_.read(buffer);
  if (result.bytes == 0 &&
      (result.status == IoStatus::want_read || result.status == IoStatus::want_write)) {
    wait_readable(result.status);
    return;
  }
  on_read(result.error, buffer.first(result.bytes), result.status);
}

void Connection::wait_readable(IoStatus until) {
  // `until` is want_read, or want_write when TLS must send before it can read on (a KeyUpdate).
  reading_ = true;
  stream_.wait(until, [self = shared_from_this()](std::error_code error) {
    if (error) {
      self->reading_ = false;
      self->on_read(error, {}, IoStatus::end);
      return;
    }
    self->read_now();
  });
}

void Connection::next_read(IoStatus next) {
  if (next == IoStatus::ready) {
    // The read filled the buffer: read again on the next loop pass, after the other ready
    // connections had their turn.
    reading_ = true;
    asio::post(worker_.context(), [self = shared_from_this()] { self->read_now(); });
  } else {
    wait_readable(next);
  }
}

void Connection::on_read(std::error_code error, std::span<const std::uint8_t> data,
                         IoStatus next) {
  switch (state_) {
    case State::open:
      if (error) {
        params_->log->debug("connection {}: closed by peer ({})", peer(), error.message());
        fail("");
        return;
      }
      bytes_time_ = Clock::now();
      handler_->on_bytes(data, bytes_time_);
      continue_reading(next);
      return;
    case State::flushing:
      // The handler asked to close: what the peer still sends is ignored, but read, so unread
      // bytes do not turn our FIN into a RST that could lose the last writes.
      if (error) {
        fail("");
      } else if (!reading_) {
        next_read(next);
      }
      return;
    case State::shutting_down:
      if (error) {
        close_socket();  // the peer's FIN: orderly end
      } else if (!reading_) {
        next_read(next);
      }
      return;
    case State::closed:
      return;
  }
}

void Connection::continue_reading(IoStatus next) {
  if (state_ != State::open || !handler_ || handler_->is_closing() || reading_ || read_paused_) {
    return;
  }
  auto until = handler_->read_paused_until();
  // A pause later than the time the handler was called with stopped it during that call: it
  // kept the frames after the pausing one. If the pause is over already (it can end between
  // the handler's check and this one), those frames get their turn now; reading first would
  // wait for bytes a peer that waits for our acknowledgements never sends.
  for (int round = 0; until && *until > bytes_time_; ++round) {
    const auto now = Clock::now();
    if (*until > now || round == kResumeRounds) {
      // No read is outstanding now, so the kernel's receive buffer fills and TCP's window
      // closes: the peer is slowed without the broker buffering anything more.
      read_paused_ = true;
      read_pauses_.fetch_add(1, std::memory_order_relaxed);
      auto& pause = timer();
      pause.expires_at(std::max(*until, now));
      pause.async_wait(
          [self = shared_from_this()](std::error_code error) { self->on_pause_end(error); });
      return;
    }
    bytes_time_ = now;
    handler_->on_bytes(std::span<const std::uint8_t>(), now);
    if (state_ != State::open || !handler_ || handler_->is_closing() || reading_ ||
        read_paused_) {
      return;
    }
    until = handler_->read_paused_until();
  }
  next_read(next);
}

void Connection::on_pause_end(std::error_code error) {
  read_paused_ = false;
  if (error || state_ != State::open || !handler_ || handler_->is_closing()) {
    return;  // cancelled (closing re-arms the timer): the close sequence owns the socket now
  }
  // Frames the handler kept while paused get their turn even if the peer sends nothing more
  // (a v3.1.1 publisher waiting for PUBACKs would otherwise stall until its keep alive).
  bytes_time_ = Clock::now();
  handler_->on_bytes(std::span<const std::uint8_t>(), bytes_time_);
  // Then read (first without waiting: readiness that arrived during the pause was not waited
  // for), or pause again.
  continue_reading(IoStatus::ready);
}

void Connection::flush() {
  queue_.flush_started();
  if ((state_ == State::open || state_ == State::flushing) && !writing_) {
    start_write();
  }
}

bool Connection::fill_write_buffer() {
  write_buffer_.clear();
  while (write_buffer_.size() < kMaxWriteBytes) {
    if (pending_pos_ == pending_.size()) {
      pending_.clear();
      pending_pos_ = 0;
      queue_.take_all(pending_);
      if (pending_.empty()) {
        break;
      }
    }
    core::SharedBytes& bytes = pending_[pending_pos_++];
    write_buffer_.insert(write_buffer_.end(), bytes->begin(), bytes->end());
    bytes.reset();  // a message shared with other subscribers is released as soon as copied
  }
  return !write_buffer_.empty();
}

void Connection::start_write() {
  // Writes at once, like Mosquitto: when the socket takes everything (the usual case) no
  // completion handler and no extra loop pass are needed. A bounded number of rounds, then
  // the rest waits for the next pass so one busy connection cannot hold the worker.
  for (int round = 0; round < kDirectWriteRounds; ++round) {
    if (write_buffer_.empty()) {
      if (!fill_write_buffer()) {
        writes_done();
        return;
      }
      writes_started_.fetch_add(1, std::memory_order_relaxed);
    }
    // One linear buffer: one system call for many small messages, and full TLS records
    // instead of one per message.
    const IoResult result = stream_.write(write_buffer_);
    if (result.bytes > 0) {
      draining_.store(true, std::memory_order_relaxed);
      queued_bytes_.fetch_sub(result.bytes, std::memory_order_acq_rel);
      if (result.bytes == write_buffer_.size()) {
        write_buffer_.clear();
      } else {
        // The rest is written first when the socket has room (TLS: the retry must carry the
        // same bytes, which OpenSSL accepts at their new place).
        write_buffer_.erase(write_buffer_.begin(),
                            write_buffer_.begin() + static_cast<std::ptrdiff_t>(result.bytes));
      }
    }
    if (result.status == IoStatus::end) {
      params_->log->debug("connection {}: write failed ({})", peer(), result.error.message());
      fail("");
      return;
    }
    if (result.status != IoStatus::ready) {
      wait_writable(result.status);
      return;
    }
  }
  if (write_buffer_.empty() && pending_pos_ == pending_.size() && queue_.empty()) {
    writes_done();
    return;
  }
  // More than the rounds allowed: continue on the next pass.
  writing_ = true;
  asio::post(worker_.context(), [self = shared_from_this()] {
    self->writing_ = false;
    if (self->state_ == State::open || self->state_ == State::flushing) {
      self->start_write();
    }
  });
}

void Connection::wait_writable(IoStatus until) {
  // `until` is want_write (the socket is full), or want_read when TLS must read first.
  writing_ = true;
  stream_.wait(until, [self = shared_from_this()](std::error_code error) {
    self->writing_ = false;
    if (self->state_ != State::open && self->state_ != State::flushing) {
      return;  // closed meanwhile
    }
    if (error) {
      self->params_->log->debug("connection {}: write failed ({})", self->peer(), error.message());
      self->fail("");
      return;
    }
    self->start_write();
  });
}

void Connection::writes_done() {
  release_idle_buffers();
  if (state_ == State::flushing) {
    begin_shutdown();
  }
}

void Connection::release_idle_buffers() {
  if (write_buffer_.capacity() > kKeepWriteBuffer) {
    std::vector<std::uint8_t>().swap(write_buffer_);
  }
  if (pending_.capacity() > kKeepPending) {
    std::vector<core::SharedBytes>().swap(pending_);
    pending_pos_ = 0;
  }
}

void Connection::begin_close() {
  if (state_ != State::open) {
    return;
  }
  state_ = State::flushing;
  auto& deadline = timer();
  deadline.expires_after(params_->limits.close_timeout);  // cancels a pause
  deadline.async_wait([self = shared_from_this()](std::error_code error) {
    if (!error && self->state_ != State::closed) {
      self->params_->log->info("connection {}: close timed out, dropping it", self->peer());
      self->fail("");
    }
  });
  if (!writing_) {
    start_write();
  }
}

void Connection::begin_shutdown() {
  state_ = State::shutting_down;
  notify_closed();
  shutdown_send();
  // A peer still sending (a publisher that has not read our DISCONNECT yet) must not see its
  // bytes left unread: closing then sends a RST, and the peer's stack drops what it had not
  // read of ours (the last PUBACKs, the DISCONNECT). So drain until its FIN; the close timer
  // bounds the wait.
  if (!reading_ && state_ == State::shutting_down) {
    read_now();
  }
}

void Connection::shutdown_send() {
  const IoResult result = stream_.shutdown_send();
  if (result.status == IoStatus::want_read || result.status == IoStatus::want_write) {
    // The close_notify did not fit in the socket: send the rest when it has room.
    writing_ = true;
    stream_.wait(result.status, [self = shared_from_this()](std::error_code error) {
      self->writing_ = false;
      if (!error && self->state_ == State::shutting_down) {
        self->shutdown_send();
      }
    });
  }
}

void Connection::close_socket() {
  if (state_ == State::closed) {
    return;
  }
  state_ = State::closed;
  accepting_sends_.store(false, std::memory_order_release);
  if (timer_) {
    timer_->cancel();
  }
  stream_.close();
  // Counted until the socket is closed, not only until notify_closed(): Server::stop waits for
  // the orderly end (peer's FIN / close_notify), so the peer reads our last packets (PUBACKs,
  // DISCONNECT) before the process exits; an exit with its unread bytes would send a RST that
  // makes the peer's stack drop them. Callers hold a reference (this may be the last one).
  if (notified_) worker_.remove(this);
}

void Connection::fail(const std::string& why) {
  if (!why.empty()) {
    params_->log->warn("connection {}: {}", peer(), why);
  }
  auto self = shared_from_this();
  close_socket();
  std::size_t dropped = queue_.clear() + write_buffer_.size();
  for (std::size_t i = pending_pos_; i < pending_.size(); ++i) {
    dropped += pending_[i]->size();
  }
  write_buffer_.clear();
  pending_.clear();
  pending_pos_ = 0;
  queued_bytes_.fetch_sub(dropped, std::memory_order_acq_rel);
  notify_closed();
}

void Connection::notify_closed() {
  if (notified_) {
    return;
  }
  notified_ = true;
  accepting_sends_.store(false, std::memory_order_release);
  auto self = shared_from_this();
  if (auto handler = std::move(handler_)) {
    handler->on_transport_closed();
    if (state_ == State::closed) worker_.remove(this);  // else close_socket() does it
  }
}

}  // namespace arkmq::net
