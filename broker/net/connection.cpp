// The read loop, the one-outstanding-write loop and the close sequence of a client connection.
// States: open -> flushing (close asked) -> shutting_down (handler notified) -> closed; any error
// jumps to closed. on_transport_closed is called exactly once, in notify_closed().
// Flow control: while open, a handler's read_paused_until() stops the read loop until that time
// (pause_timer_); the bytes already read were all handed over, so nothing is reordered or lost.
#include "broker/net/connection.hpp"

#include <algorithm>
#include <array>

#include <asio/post.hpp>
#include <asio/write.hpp>

#include "broker/net/weak_link.hpp"
#include "broker/net/worker_pool.hpp"

namespace arkmq::net {

namespace {

std::string endpoint_text(const TcpSocket& socket) {
  std::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  if (error) {
    return "unknown";
  }
  const auto address = endpoint.address();
  return address.is_v6() ? "[" + address.to_string() + "]:" + std::to_string(endpoint.port())
                         : address.to_string() + ":" + std::to_string(endpoint.port());
}

constexpr std::size_t kInitialReadBuffer = 4096;
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

Connection::Connection(Params params, Transport transport)
    : params_(std::move(params)),
      transport_([&]() -> std::variant<TcpSocket, std::unique_ptr<TlsStream>> {
        if (auto* stream = std::get_if<TlsStream>(&transport)) {
          return std::make_unique<TlsStream>(std::move(*stream));
        }
        return std::move(std::get<TcpSocket>(transport));
      }()),
      executor_(tcp().get_executor()) {
  info_.peer = endpoint_text(tcp());
}

Connection::~Connection() {
  // Normally notify_closed() ran; this covers a connection torn down with its io_context.
  if (handler_ && !notified_) {
    handler_->on_transport_closed();
  }
}

TcpSocket& Connection::tcp() {
  if (auto* stream = std::get_if<std::unique_ptr<TlsStream>>(&transport_)) {
    return (*stream)->next_layer();
  }
  return std::get<TcpSocket>(transport_);
}

asio::steady_timer& Connection::timer(std::unique_ptr<asio::steady_timer>& slot) {
  if (!slot) {
    slot = std::make_unique<asio::steady_timer>(executor_);
  }
  return *slot;
}

void Connection::start(const HandlerFactory& factory, core::ConnectionInfo info) {
  info.peer = info_.peer;
  info_ = info;
  // The handler gets a weak link: no ownership cycle, and a link kept by the core after the
  // connection ends is harmless. The worker's set and pending operations own the connection.
  handler_ = factory(std::move(info), std::make_shared<WeakLink>(weak_from_this()));
  if (!handler_) {
    fail("no handler");
    return;
  }
  if (!is_tls()) {
    std::error_code ignored;
    tcp().non_blocking(true, ignored);  // tcp_read() reads until the socket has nothing
  }
  params_.worker.add(shared_from_this());
  read_some();
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
  const std::size_t total = queued_bytes_.fetch_add(size, std::memory_order_acq_rel) + size;
  if (total > params_.limits.max_queued_bytes) {
    queued_bytes_.fetch_sub(size, std::memory_order_acq_rel);
    if (!overflowed_.exchange(true)) {
      asio::post(executor_, [self, total] {
        self->fail("cannot keep up: " + std::to_string(total) + " bytes queued, limit " +
                   std::to_string(self->params_.limits.max_queued_bytes));
      });
    }
    return;
  }
  // The queue keeps the order of every send (they come under the broker lock); only the wake-up
  // is batched: once per connection until its flush runs, once per worker per loop pass.
  if (queue_.push(std::move(bytes))) {
    params_.worker.request_flush(std::move(self));
  }
}

std::size_t Connection::queued_bytes() const {
  return queued_bytes_.load(std::memory_order_acquire);
}

void Connection::close() {
  if (auto self = weak_from_this().lock()) {
    asio::post(executor_, [self] { self->begin_close(); });
  }
}

void Connection::read_some() {
  if (!is_tls()) {
    tcp_read();
    return;
  }
  reading_ = true;
  const std::size_t limit = params_.limits.read_buffer_bytes;
  if (tls_read_buffer_.empty()) {
    tls_read_buffer_.resize(std::min(kInitialReadBuffer, limit));
  } else if (tls_read_filled_ && tls_read_buffer_.size() < limit) {
    tls_read_buffer_.resize(std::min(2 * tls_read_buffer_.size(), limit));  // no read pending now
  }
  tls().async_read_some(
      asio::buffer(tls_read_buffer_),
      [self = shared_from_this()](std::error_code error, std::size_t size) {
        self->reading_ = false;
        self->tls_read_filled_ = size == self->tls_read_buffer_.size();
        self->on_read(error, std::span<const std::uint8_t>(self->tls_read_buffer_.data(), size));
      });
}

void Connection::tcp_read() {
  reading_ = false;
  if (state_ == State::closed) {
    return;
  }
  const std::span<std::uint8_t> buffer = params_.worker.read_buffer(params_.limits.read_buffer_bytes);
  std::error_code error;
  const std::size_t size = tcp().read_some(asio::buffer(buffer.data(), buffer.size()), error);
  if (error == asio::error::would_block || error == asio::error::try_again) {
    wait_readable();
    return;
  }
  on_read(error, std::span<const std::uint8_t>(buffer.data(), error ? 0 : size));
}

void Connection::wait_readable() {
  // Asio's reactor is edge-triggered: this wait is only ever issued after a read found the
  // socket empty (or short), in the same handler, so no readiness can slip in between.
  reading_ = true;
  tcp().async_wait(TcpSocket::wait_read, [self = shared_from_this()](std::error_code error) {
    if (error) {
      self->reading_ = false;
      self->on_read(error, {});
      return;
    }
    self->tcp_read();
  });
}

void Connection::next_read(bool more) {
  if (is_tls()) {
    read_some();
  } else if (more) {
    // The read filled the buffer: read again on the next loop pass, after the other ready
    // connections had their turn.
    reading_ = true;
    asio::post(executor_, [self = shared_from_this()] { self->tcp_read(); });
  } else {
    wait_readable();
  }
}

void Connection::on_read(std::error_code error, std::span<const std::uint8_t> data) {
  const bool more = !is_tls() && data.size() == params_.limits.read_buffer_bytes;
  switch (state_) {
    case State::open:
      if (error) {
        params_.log->debug("connection {}: closed by peer ({})", info_.peer, error.message());
        fail("");
        return;
      }
      bytes_time_ = Clock::now();
      handler_->on_bytes(data, bytes_time_);
      continue_reading(more);
      return;
    case State::flushing:
      // The handler asked to close: what the peer still sends is ignored. Plain TCP keeps
      // draining so unread bytes do not turn our FIN into a RST that could lose the last writes.
      if (error) {
        fail("");
      } else if (!is_tls() && !reading_) {
        next_read(more);
      }
      return;
    case State::shutting_down:
      if (is_tls()) {
        start_tls_shutdown();  // the read was cancelled (or finished) so the shutdown can run
      } else if (error) {
        close_socket();        // the peer's FIN: orderly end
      } else if (!reading_) {
        next_read(more);
      }
      return;
    case State::closed:
      return;
  }
}

void Connection::continue_reading(bool more) {
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
      auto& pause = timer(pause_timer_);
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
  next_read(more);
}

void Connection::on_pause_end(std::error_code error) {
  read_paused_ = false;
  if (error || state_ != State::open || !handler_ || handler_->is_closing()) {
    return;  // cancelled by close_socket(), or closing: the close sequence owns the socket now
  }
  // Frames the handler kept while paused get their turn even if the peer sends nothing more
  // (a v3.1.1 publisher waiting for PUBACKs would otherwise stall until its keep alive).
  bytes_time_ = Clock::now();
  handler_->on_bytes(std::span<const std::uint8_t>(), bytes_time_);
  // Then read (first without waiting: readiness that arrived during the pause was not waited
  // for), or pause again.
  continue_reading(true);
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
  // Plain TCP writes at once, like Mosquitto: when the socket takes everything (the usual case)
  // no completion handler and no extra loop pass are needed. A bounded number of rounds, then
  // the rest waits for the next pass so one busy connection cannot hold the worker.
  for (int round = 0; !is_tls() && round < kDirectWriteRounds; ++round) {
    if (!fill_write_buffer()) {
      break;
    }
    writes_started_.fetch_add(1, std::memory_order_relaxed);
    std::error_code error;
    const std::size_t written = tcp().write_some(asio::buffer(write_buffer_), error);
    if (error == asio::error::would_block || error == asio::error::try_again) {
      async_write_buffer();
      return;
    }
    if (error) {
      params_.log->debug("connection {}: write failed ({})", info_.peer, error.message());
      queued_bytes_.fetch_sub(write_buffer_.size(), std::memory_order_acq_rel);
      write_buffer_.clear();
      fail("");
      return;
    }
    draining_.store(true, std::memory_order_relaxed);
    queued_bytes_.fetch_sub(written, std::memory_order_acq_rel);
    if (written < write_buffer_.size()) {
      // The socket is full: the rest goes out asynchronously when it has room.
      write_buffer_.erase(write_buffer_.begin(),
                          write_buffer_.begin() + static_cast<std::ptrdiff_t>(written));
      async_write_buffer();
      return;
    }
  }
  if (!is_tls()) {
    write_buffer_.clear();
    if (!queue_.empty() || pending_pos_ < pending_.size()) {
      // More than the rounds allowed: continue on the next pass.
      writing_ = true;
      asio::post(executor_, [self = shared_from_this()] {
        self->writing_ = false;
        if (self->state_ == State::open || self->state_ == State::flushing) {
          self->start_write();
        }
      });
      return;
    }
  } else if (fill_write_buffer()) {
    writes_started_.fetch_add(1, std::memory_order_relaxed);
    async_write_buffer();
    return;
  }
  release_idle_buffers();
  if (state_ == State::flushing) {
    begin_shutdown();
  }
}

void Connection::async_write_buffer() {
  writing_ = true;
  auto on_done = [self = shared_from_this()](std::error_code error, std::size_t) {
    self->on_write(error);
  };
  // One linear buffer: one system call for many small messages (Asio passes at most 64 iovecs
  // per call), and full TLS records instead of one per message.
  if (is_tls()) {
    asio::async_write(tls(), asio::buffer(write_buffer_), on_done);
  } else {
    asio::async_write(tcp(), asio::buffer(write_buffer_), on_done);
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

void Connection::on_write(std::error_code error) {
  writing_ = false;
  draining_.store(true, std::memory_order_relaxed);
  queued_bytes_.fetch_sub(write_buffer_.size(), std::memory_order_acq_rel);
  write_buffer_.clear();
  if (state_ == State::closed || state_ == State::shutting_down) {
    return;
  }
  if (error) {
    params_.log->debug("connection {}: write failed ({})", info_.peer, error.message());
    fail("");
    return;
  }
  start_write();
}

void Connection::begin_close() {
  if (state_ != State::open) {
    return;
  }
  state_ = State::flushing;
  auto& deadline = timer(close_timer_);
  deadline.expires_after(params_.limits.close_timeout);
  deadline.async_wait([self = shared_from_this()](std::error_code error) {
    if (!error && self->state_ != State::closed) {
      self->params_.log->info("connection {}: close timed out, dropping it", self->info_.peer);
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
  if (is_tls()) {
    if (reading_) {
      std::error_code ignored;
      tcp().cancel(ignored);  // on_read then starts the TLS shutdown
    } else {
      start_tls_shutdown();
    }
    return;
  }
  std::error_code ignored;
  tcp().shutdown(TcpSocket::shutdown_send, ignored);
  if (!reading_) {
    read_some();  // drain until the peer's FIN; the close timer bounds the wait
  }
}

void Connection::start_tls_shutdown() {
  if (tls_shutdown_started_) {
    return;
  }
  tls_shutdown_started_ = true;
  // A peer still sending (a publisher that has not read our DISCONNECT yet) makes OpenSSL end
  // the shutdown at once ("application data after close notify"). Closing then, with its bytes
  // unread, sends a RST, and the peer's stack drops what it had not read of ours (the last
  // PUBACKs, the DISCONNECT): so read and discard until its FIN (the close timer bounds it).
  tls().async_shutdown(
      [self = shared_from_this()](std::error_code) { self->discard_until_eof(); });
}

void Connection::discard_until_eof() {
  if (state_ == State::closed) {
    return;
  }
  std::error_code ignored;
  tcp().shutdown(TcpSocket::shutdown_send, ignored);
  auto scratch = std::make_shared<std::array<std::uint8_t, 4096>>();
  tcp().async_read_some(asio::buffer(*scratch),
                        [self = shared_from_this(), scratch](std::error_code error, std::size_t) {
                          if (error) {
                            self->close_socket();  // the peer's FIN (or reset, or cancelled)
                          } else {
                            self->discard_until_eof();
                          }
                        });
}

void Connection::close_socket() {
  if (state_ == State::closed) {
    return;
  }
  state_ = State::closed;
  accepting_sends_.store(false, std::memory_order_release);
  if (close_timer_) {
    close_timer_->cancel();
  }
  if (pause_timer_) {
    pause_timer_->cancel();
  }
  std::error_code ignored;
  tcp().shutdown(TcpSocket::shutdown_both, ignored);
  tcp().close(ignored);
  // Counted until the socket is closed, not only until notify_closed(): Server::stop waits for
  // the orderly end (peer's FIN / close_notify), so the peer reads our last packets (PUBACKs,
  // DISCONNECT) before the process exits; an exit with its unread bytes would send a RST that
  // makes the peer's stack drop them. Callers hold a reference (this may be the last one).
  if (notified_) params_.worker.remove(this);
}

void Connection::fail(const std::string& why) {
  if (!why.empty()) {
    params_.log->warn("connection {}: {}", info_.peer, why);
  }
  auto self = shared_from_this();
  close_socket();
  std::size_t dropped = queue_.clear();
  for (std::size_t i = pending_pos_; i < pending_.size(); ++i) {
    dropped += pending_[i]->size();
  }
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
    if (state_ == State::closed) params_.worker.remove(this);  // else close_socket() does it
  }
}

}  // namespace arkmq::net
