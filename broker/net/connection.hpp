// One accepted client socket, plain TCP or TLS, implementing core::ClientLink. Lives on one worker
// for life: every member except send/close/queued_bytes/is_draining runs on that worker's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "broker/core/client_link.hpp"
#include "broker/core/connection_info.hpp"
#include "broker/net/connection_handler.hpp"
#include "broker/net/send_queue.hpp"

namespace arkmq::net {

class Worker;

using TcpSocket = asio::ip::tcp::socket;
using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

struct ConnectionLimits {
  // One read's size. TCP reads into the worker's shared buffer (an idle connection holds none);
  // TLS keeps its own, starting at 4 KiB and doubling up to this when a read fills it.
  std::size_t read_buffer_bytes = 64 * 1024;
  // A peer that lets this much pile up cannot keep up; the connection is dropped.
  std::size_t max_queued_bytes = 32 * 1024 * 1024;
  // After close(): time for the flush plus the orderly TCP/TLS shutdown, then the socket is cut.
  std::chrono::milliseconds close_timeout{5000};
};

class Connection final : public core::ClientLink, public std::enable_shared_from_this<Connection> {
 public:
  using Transport = std::variant<TcpSocket, TlsStream>;

  struct Params {
    Worker& worker;
    ConnectionLimits limits;
    std::shared_ptr<spdlog::logger> log;
    std::shared_ptr<asio::ssl::context> tls_context;  // keeps the SSL_CTX alive for TLS streams
  };

  Connection(Params params, Transport transport);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Worker thread: registers with the worker, creates the handler, starts reading.
  void start(const HandlerFactory& factory, core::ConnectionInfo info);
  // Worker thread, from the worker's timer.
  void tick(Clock::time_point now);
  // Worker thread (or any thread once the worker is stopped): ends the connection at once.
  void abandon();

  // core::ClientLink, any thread.
  void send(core::SharedBytes bytes) override;
  std::size_t queued_bytes() const override;
  void close() override;
  // False once a write has been outstanding for a whole tick interval without completing (the
  // peer stopped reading); true again when it completes. Flow control only asks it of a link
  // with a lot queued, so "no write in progress" counts as draining.
  bool is_draining() const override { return draining_.load(std::memory_order_relaxed); }

  // Worker thread, from the worker's end-of-pass (Worker::request_flush): write what is queued.
  void flush();

  // Writes started so far (each may carry many sends); for tests and statistics.
  std::uint64_t writes_started() const { return writes_started_.load(std::memory_order_relaxed); }
  // Times reading was paused for the handler's read_paused_until(); for tests and statistics.
  std::uint64_t read_pauses() const { return read_pauses_.load(std::memory_order_relaxed); }
  const std::string& peer() const { return info_.peer; }

 private:
  enum class State {
    open,           // reading and writing
    flushing,       // close() asked: writing what is queued, no more reads for the handler
    shutting_down,  // handler notified; orderly TCP FIN / TLS close_notify under a deadline
    closed,         // socket closed
  };

  bool is_tls() const { return std::holds_alternative<std::unique_ptr<TlsStream>>(transport_); }
  TlsStream& tls() { return *std::get<std::unique_ptr<TlsStream>>(transport_); }
  TcpSocket& tcp();
  // Reads now (TCP: a non-blocking read into the worker's buffer, waiting for readiness if
  // there is nothing; TLS: an asynchronous read).
  void read_some();
  void tcp_read();
  void wait_readable();
  void on_read(std::error_code error, std::span<const std::uint8_t> data);
  // After a read: read again (next loop pass when that read filled the buffer, so one busy
  // peer cannot starve the others; else when readable), or wait for read_paused_until() first.
  void continue_reading(bool more);
  void next_read(bool more);
  void on_pause_end(std::error_code error);
  asio::steady_timer& timer(std::unique_ptr<asio::steady_timer>& slot);
  // Moves queued bytes into write_buffer_ (up to kMaxWriteBytes); false when there were none.
  bool fill_write_buffer();
  void start_write();
  void async_write_buffer();
  void release_idle_buffers();
  void on_write(std::error_code error);
  void begin_close();
  void begin_shutdown();
  void start_tls_shutdown();
  void discard_until_eof();  // TLS, after close_notify: raw reads until the peer's FIN
  void close_socket();
  void fail(const std::string& why);
  void notify_closed();

  Params params_;
  // A TLS stream is four times a socket's size: held on the heap so plain TCP connections, the
  // many, do not carry its room.
  std::variant<TcpSocket, std::unique_ptr<TlsStream>> transport_;
  asio::any_io_executor executor_;
  // Created on first use: most connections never close by timeout nor pause.
  std::unique_ptr<asio::steady_timer> close_timer_;
  std::unique_ptr<asio::steady_timer> pause_timer_;  // flow control: reading resumes when it fires
  core::ConnectionInfo info_;
  std::unique_ptr<ConnectionHandler> handler_;

  // Worker-thread state.
  State state_ = State::open;
  bool reading_ = false;       // a read, a readiness wait or a posted read is pending
  bool read_paused_ = false;  // pause_timer_ is pending; no read is issued meanwhile
  bool writing_ = false;
  bool tls_shutdown_started_ = false;
  bool notified_ = false;
  std::vector<std::uint8_t> tls_read_buffer_;  // TLS only
  bool tls_read_filled_ = false;               // the last TLS read filled it: grow before the next
  // Taken from queue_, copied into write_buffer_ up to kMaxWriteBytes per write: small
  // messages go out in one system call instead of one iovec each.
  std::vector<core::SharedBytes> pending_;
  std::size_t pending_pos_ = 0;
  std::vector<std::uint8_t> write_buffer_;  // the write in flight
  std::uint64_t write_seq_at_tick_ = 0;     // writes_started_ seen by the previous tick
  Clock::time_point bytes_time_{};          // the time the handler's last on_bytes was given

  // Shared with other threads.
  SendQueue queue_;
  std::atomic<std::size_t> queued_bytes_{0};
  std::atomic<bool> accepting_sends_{true};
  std::atomic<bool> overflowed_{false};
  std::atomic<std::uint64_t> writes_started_{0};
  std::atomic<bool> draining_{true};
  std::atomic<std::uint64_t> read_pauses_{0};
};

}  // namespace arkmq::net
