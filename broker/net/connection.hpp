// One accepted client socket, plain TCP or TLS, implementing core::ClientLink. Lives on one worker
// for life: every member except send/close/queued_bytes runs on that worker's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
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
  std::size_t read_buffer_bytes = 64 * 1024;  // upper bound: starts at 4 KiB, doubles when a read fills it
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

  bool is_tls() const { return std::holds_alternative<TlsStream>(transport_); }
  TcpSocket& tcp();
  void read_some();
  void on_read(std::error_code error, std::size_t size);
  // After the handler had bytes: read again, or wait until its read_paused_until() first.
  void continue_reading();
  void on_pause_end(std::error_code error);
  void flush();
  void start_write();
  void on_write(std::error_code error);
  void begin_close();
  void begin_shutdown();
  void start_tls_shutdown();
  void close_socket();
  void fail(const std::string& why);
  void notify_closed();

  Params params_;
  Transport transport_;
  asio::any_io_executor executor_;
  asio::steady_timer close_timer_;
  asio::steady_timer pause_timer_;  // flow control: reading resumes when it fires
  core::ConnectionInfo info_;
  std::unique_ptr<ConnectionHandler> handler_;

  // Worker-thread state.
  State state_ = State::open;
  bool reading_ = false;
  bool read_paused_ = false;  // pause_timer_ is pending; no read is issued meanwhile
  bool writing_ = false;
  bool tls_shutdown_started_ = false;
  bool notified_ = false;
  std::vector<std::uint8_t> read_buffer_;
  std::vector<core::SharedBytes> batch_;          // the write in flight
  std::vector<asio::const_buffer> batch_buffers_;
  std::vector<std::uint8_t> batch_linear_;        // TLS: one record stream instead of one per send
  std::size_t batch_bytes_ = 0;

  // Shared with other threads.
  SendQueue queue_;
  std::atomic<std::size_t> queued_bytes_{0};
  std::atomic<bool> accepting_sends_{true};
  std::atomic<bool> overflowed_{false};
  std::atomic<std::uint64_t> writes_started_{0};
  std::atomic<std::uint64_t> read_pauses_{0};
};

}  // namespace arkmq::net
