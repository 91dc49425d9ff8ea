// The read loop, the one-outstanding-write loop and the close sequence of a client connection.
// States: open -> flushing (close asked) -> shutting_down (handler notified) -> closed; any error
// jumps to closed. on_transport_closed is called exactly once, in notify_closed().
// Flow control: while open, a handler's read_paused_until() stops the read loop until that time
// (pause_timer_); the bytes already read were all handed over, so nothing is reordered or lost.
#include "broker/net/connection.hpp"

#include <algorithm>

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

}  // namespace

Connection::Connection(Params params, Transport transport)
    : params_(std::move(params)),
      transport_(std::move(transport)),
      executor_(tcp().get_executor()),
      close_timer_(executor_),
      pause_timer_(executor_),
      // Small at first: most connections are idle most of the time, and 64 KiB each made
      // 2000 idle connections cost 130 MB. on_read grows it for peers that fill it.
      read_buffer_(std::min<std::size_t>(kInitialReadBuffer, params_.limits.read_buffer_bytes)) {
  info_.peer = endpoint_text(tcp());
}

Connection::~Connection() {
  // Normally notify_closed() ran; this covers a connection torn down with its io_context.
  if (handler_ && !notified_) {
    handler_->on_transport_closed();
  }
}

TcpSocket& Connection::tcp() {
  if (auto* tls = std::get_if<TlsStream>(&transport_)) {
    return tls->next_layer();
  }
  return std::get<TcpSocket>(transport_);
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
  params_.worker.add(shared_from_this());
  read_some();
}

void Connection::tick(Clock::time_point now) {
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
  if (queue_.push(std::move(bytes))) {
    asio::post(executor_, [self] { self->flush(); });
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
  reading_ = true;
  auto on_done = [self = shared_from_this()](std::error_code error, std::size_t size) {
    self->on_read(error, size);
  };
  std::visit([&](auto& stream) { stream.async_read_some(asio::buffer(read_buffer_), on_done); },
             transport_);
}

void Connection::on_read(std::error_code error, std::size_t size) {
  reading_ = false;
  switch (state_) {
    case State::open:
      if (error) {
        params_.log->debug("connection {}: closed by peer ({})", info_.peer, error.message());
        fail("");
        return;
      }
      handler_->on_bytes(std::span<const std::uint8_t>(read_buffer_.data(), size), Clock::now());
      if (size == read_buffer_.size() && size < params_.limits.read_buffer_bytes) {
        read_buffer_.resize(std::min(2 * size, params_.limits.read_buffer_bytes));
      }
      continue_reading();
      return;
    case State::flushing:
      // The handler asked to close: what the peer still sends is ignored. Plain TCP keeps
      // draining so unread bytes do not turn our FIN into a RST that could lose the last writes.
      if (error) {
        fail("");
      } else if (!is_tls()) {
        read_some();
      }
      return;
    case State::shutting_down:
      if (is_tls()) {
        start_tls_shutdown();  // the read was cancelled (or finished) so the shutdown can run
      } else if (error) {
        close_socket();        // the peer's FIN: orderly end
      } else {
        read_some();
      }
      return;
    case State::closed:
      return;
  }
}

void Connection::continue_reading() {
  if (state_ != State::open || !handler_ || handler_->is_closing() || reading_ || read_paused_) {
    return;
  }
  const auto until = handler_->read_paused_until();
  if (!until || *until <= Clock::now()) {
    read_some();
    return;
  }
  // No read is outstanding now, so the kernel's receive buffer fills and TCP's window closes:
  // the peer is slowed without the broker buffering anything more.
  read_paused_ = true;
  read_pauses_.fetch_add(1, std::memory_order_relaxed);
  pause_timer_.expires_at(*until);
  pause_timer_.async_wait(
      [self = shared_from_this()](std::error_code error) { self->on_pause_end(error); });
}

void Connection::on_pause_end(std::error_code error) {
  read_paused_ = false;
  if (error || state_ != State::open || !handler_ || handler_->is_closing()) {
    return;  // cancelled by close_socket(), or closing: the close sequence owns the socket now
  }
  // Frames the handler kept while paused get their turn even if the peer sends nothing more
  // (a v3.1.1 publisher waiting for PUBACKs would otherwise stall until its keep alive).
  handler_->on_bytes(std::span<const std::uint8_t>(), Clock::now());
  continue_reading();
}

void Connection::flush() {
  queue_.flush_started();
  if ((state_ == State::open || state_ == State::flushing) && !writing_) {
    start_write();
  }
}

void Connection::start_write() {
  batch_.clear();
  queue_.take_all(batch_);
  if (batch_.empty()) {
    if (state_ == State::flushing) {
      begin_shutdown();
    }
    return;
  }
  batch_bytes_ = 0;
  for (const auto& bytes : batch_) {
    batch_bytes_ += bytes->size();
  }
  writing_ = true;
  writes_started_.fetch_add(1, std::memory_order_relaxed);
  auto on_done = [self = shared_from_this()](std::error_code error, std::size_t) {
    self->on_write(error);
  };
  if (auto* tls = std::get_if<TlsStream>(&transport_)) {
    // Asio's SSL stream writes one buffer per record; one linear buffer gives full records.
    batch_linear_.clear();
    batch_linear_.reserve(batch_bytes_);
    for (const auto& bytes : batch_) {
      batch_linear_.insert(batch_linear_.end(), bytes->begin(), bytes->end());
    }
    asio::async_write(*tls, asio::buffer(batch_linear_), on_done);
  } else {
    batch_buffers_.clear();
    for (const auto& bytes : batch_) {
      batch_buffers_.push_back(asio::buffer(*bytes));
    }
    asio::async_write(std::get<TcpSocket>(transport_), batch_buffers_, on_done);
  }
}

void Connection::on_write(std::error_code error) {
  writing_ = false;
  queued_bytes_.fetch_sub(batch_bytes_, std::memory_order_acq_rel);
  batch_bytes_ = 0;
  batch_.clear();
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
  close_timer_.expires_after(params_.limits.close_timeout);
  close_timer_.async_wait([self = shared_from_this()](std::error_code error) {
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
  std::get<TlsStream>(transport_).async_shutdown(
      [self = shared_from_this()](std::error_code) { self->close_socket(); });
}

void Connection::close_socket() {
  if (state_ == State::closed) {
    return;
  }
  state_ = State::closed;
  accepting_sends_.store(false, std::memory_order_release);
  close_timer_.cancel();
  pause_timer_.cancel();
  std::error_code ignored;
  tcp().shutdown(TcpSocket::shutdown_both, ignored);
  tcp().close(ignored);
}

void Connection::fail(const std::string& why) {
  if (!why.empty()) {
    params_.log->warn("connection {}: {}", info_.peer, why);
  }
  auto self = shared_from_this();
  close_socket();
  queued_bytes_.fetch_sub(queue_.clear(), std::memory_order_acq_rel);
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
    params_.worker.remove(this);
  }
}

}  // namespace arkmq::net
