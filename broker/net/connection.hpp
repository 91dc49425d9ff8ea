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
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "broker/core/client_link.hpp"
#include "broker/core/connection_info.hpp"
#include "broker/net/connection_handler.hpp"
#include "broker/net/io_result.hpp"
#include "broker/net/send_queue.hpp"
#include "broker/net/stream.hpp"

namespace arkmq::net {

class Worker;

struct ConnectionLimits {
  // One read's size. Reads go into the worker's shared buffer, TCP and TLS alike (TLS decrypts
  // straight into it), so an idle connection holds no read buffer.
  std::size_t read_buffer_bytes = 64 * 1024;
  // A peer that lets this much pile up cannot keep up; the connection is dropped.
  std::size_t max_queued_bytes = 32 * 1024 * 1024;
  // After close(): time for the flush plus the orderly TCP/TLS shutdown, then the socket is cut.
  std::chrono::milliseconds close_timeout{5000};
};

// What all connections of one listener share: one copy per listener, not one per connection.
struct ConnectionParams {
  ConnectionLimits limits;
  std::shared_ptr<spdlog::logger> log;
};

class Connection final : public core::ClientLink, public std::enable_shared_from_this<Connection> {
 public:
  // `stream` is connected (and, for TLS, handshaken); `worker` owns the socket's io_context.
  Connection(Worker& worker, std::shared_ptr<const ConnectionParams> params, Stream stream);
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
  std::string peer() const { return endpoint_text(peer_); }

 private:
  enum class State : std::uint8_t {
    open,           // reading and writing
    flushing,       // close() asked: writing what is queued, no more reads for the handler
    shutting_down,  // handler notified; orderly TCP FIN / TLS close_notify under a deadline
    closed,         // socket closed
  };

  // Reads now without blocking (while shutting down: raw bytes, dropped), then hands the bytes
  // over or waits for readiness.
  void read_now();
  void wait_readable(IoStatus until);
  void on_read(std::error_code error, std::span<const std::uint8_t> data, IoStatus next);
  // After a read: read again (next loop pass when more may be there, so one busy peer cannot
  // starve the others; else when readable), or wait for read_paused_until() first.
  void continue_reading(IoStatus next);
  void next_read(IoStatus next);
  void on_pause_end(std::error_code error);
  asio::steady_timer& timer();
  // Moves queued bytes into write_buffer_ (up to kMaxWriteBytes); false when there were none.
  bool fill_write_buffer();
  void start_write();
  void wait_writable(IoStatus until);
  void writes_done();  // nothing left to write: release buffers, go on closing if asked
  void release_idle_buffers();
  void begin_close();
  void begin_shutdown();
  void shutdown_send();  // TLS close_notify + FIN, retried when the socket is full
  void close_socket();
  void fail(const std::string& why);
  void notify_closed();

  Worker& worker_;
  std::shared_ptr<const ConnectionParams> params_;
  Stream stream_;
  // Created on first use (most connections never pause nor close by timeout): the flow-control
  // pause while open, then the close deadline (begin_close re-arms it, cancelling a pause).
  std::unique_ptr<asio::steady_timer> timer_;
  asio::ip::tcp::endpoint peer_;  // for logs; formatted only when needed
  std::unique_ptr<ConnectionHandler> handler_;

  // Worker-thread state.
  State state_ = State::open;
  bool reading_ = false;      // a readiness wait or a posted read is pending
  bool read_paused_ = false;  // the pause timer is pending; no read is issued meanwhile
  bool writing_ = false;      // a writability wait or a posted write is pending
  bool notified_ = false;
  // Taken from queue_, copied into write_buffer_ up to kMaxWriteBytes per write: small
  // messages go out in one system call (and full TLS records) instead of one each.
  std::vector<core::SharedBytes> pending_;
  std::size_t pending_pos_ = 0;
  std::vector<std::uint8_t> write_buffer_;  // the unwritten rest of the write in progress
  std::uint64_t write_seq_at_tick_ = 0;     // writes_started_ seen by the previous tick
  Clock::time_point bytes_time_{};          // the time the handler's last on_bytes was given

  // Shared with other threads.
  SendQueue queue_;
  std::atomic<std::size_t> queued_bytes_{0};
  std::atomic<bool> accepting_sends_{true};
  std::atomic<bool> overflowed_{false};
  std::atomic<bool> draining_{true};
  std::atomic<std::uint64_t> writes_started_{0};
  std::atomic<std::uint64_t> read_pauses_{0};
};

}  // namespace arkmq::net
