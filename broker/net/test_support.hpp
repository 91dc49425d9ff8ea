// Test-only: a recording/echo ConnectionHandler and small blocking clients (plain and TLS) whose
// every wait has a deadline. Used by arkmq_net_test; the handler runs on worker threads.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>

#include "broker/net/connection_handler.hpp"

namespace arkmq::net::testing {

using namespace std::chrono_literals;

// What every handler of a test saw, behind one lock.
class Recorder {
 public:
  // Reaction to received bytes; default: echo them back.
  using Action = std::function<void(std::span<const std::uint8_t>, core::ClientLink&)>;

  explicit Recorder(Action action = {}) : action_(std::move(action)) {}

  void on_created(const core::ConnectionInfo& info, std::shared_ptr<core::ClientLink> link) {
    std::lock_guard lock(mutex_);
    infos_.push_back(info);
    links_.push_back(std::move(link));
    changed_.notify_all();
  }
  void on_bytes(std::span<const std::uint8_t> data, core::ClientLink& link) {
    if (action_) {
      action_(data, link);
    } else {
      link.send(std::make_shared<const std::vector<std::uint8_t>>(data.begin(), data.end()));
    }
    std::lock_guard lock(mutex_);
    received_.insert(received_.end(), data.begin(), data.end());
    changed_.notify_all();
  }
  void on_tick() {
    std::lock_guard lock(mutex_);
    ++ticks_;
    changed_.notify_all();
  }
  void on_closed() {
    std::lock_guard lock(mutex_);
    ++closed_;
    changed_.notify_all();
  }

  // Waits until `done()` holds (checked under the lock) or the deadline passes.
  bool wait(const std::function<bool(const Recorder&)>& done, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(*this); });
  }

  // Read these inside wait() predicates, or after a wait returned.
  std::vector<core::ConnectionInfo> infos_;
  std::vector<std::shared_ptr<core::ClientLink>> links_;  // kept for tests; released by release()
  std::vector<std::uint8_t> received_;
  int ticks_ = 0;
  int closed_ = 0;

  std::vector<core::ConnectionInfo> infos() {
    std::lock_guard lock(mutex_);
    return infos_;
  }
  void release_links() {
    std::lock_guard lock(mutex_);
    links_.clear();
  }

 private:
  Action action_;
  std::mutex mutex_;
  std::condition_variable changed_;
};

class RecordingHandler final : public ConnectionHandler {
 public:
  RecordingHandler(Recorder& recorder, std::shared_ptr<core::ClientLink> link)
      : recorder_(recorder), link_(std::move(link)) {}
  void on_bytes(std::span<const std::uint8_t> data, Clock::time_point) override {
    recorder_.on_bytes(data, *link_);
  }
  void on_tick(Clock::time_point) override { recorder_.on_tick(); }
  void on_transport_closed() override { recorder_.on_closed(); }
  bool is_closing() const override { return false; }

 private:
  Recorder& recorder_;
  std::shared_ptr<core::ClientLink> link_;
};

inline HandlerFactory recording_factory(Recorder& recorder) {
  return [&recorder](core::ConnectionInfo info, std::shared_ptr<core::ClientLink> link) {
    recorder.on_created(info, link);
    return std::make_unique<RecordingHandler>(recorder, std::move(link));
  };
}

inline std::uint16_t port_of(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

// Runs async operations on a private io_context with a deadline: blocking calls that cannot hang.
template <class Stream>
class ClientBase {
 public:
  virtual ~ClientBase() = default;

  // Reads until `count` bytes arrived, EOF/error, or the timeout. Returns what was read.
  std::vector<std::uint8_t> read(std::size_t count, std::chrono::milliseconds timeout = 5s) {
    std::vector<std::uint8_t> out(count);
    std::size_t got = 0;
    last_error_ = {};
    asio::async_read(stream(), asio::buffer(out), [&](std::error_code error, std::size_t n) {
      last_error_ = error;
      got = n;
    });
    run(timeout);
    out.resize(got);
    return out;
  }
  // Reads until EOF (or error/timeout); true if the stream ended (EOF or a TLS close).
  bool read_to_end(std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<std::uint8_t> chunk(64 * 1024);
    for (int i = 0; i < 100000 && std::chrono::steady_clock::now() < deadline; ++i) {
      bool done = false;
      std::error_code result;
      std::size_t n = 0;
      stream().async_read_some(asio::buffer(chunk), [&](std::error_code error, std::size_t size) {
        done = true;
        result = error;
        n = size;
      });
      run(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (!done) {
        return false;
      }
      out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
      if (result) {
        last_error_ = result;
        return true;
      }
    }
    return false;
  }
  bool write(const std::vector<std::uint8_t>& data, std::chrono::milliseconds timeout = 5s) {
    bool ok = false;
    asio::async_write(stream(), asio::buffer(data),
                      [&](std::error_code error, std::size_t) { ok = !error; });
    run(timeout);
    return ok;
  }
  std::error_code last_error() const { return last_error_; }

 protected:
  virtual Stream& stream() = 0;
  void run(std::chrono::milliseconds timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (!io_.stopped()) {
      // Timed out: cancel and let the handlers see operation_aborted.
      std::error_code ignored;
      stream().lowest_layer().cancel(ignored);
      io_.restart();
      io_.run_for(1s);
    }
  }
  asio::io_context io_;
  std::error_code last_error_;
};

class TcpClient final : public ClientBase<asio::ip::tcp::socket> {
 public:
  bool connect(std::uint16_t port) {
    std::error_code error;
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, error);
    return !error;
  }
  asio::ip::tcp::socket& socket() { return socket_; }

 protected:
  asio::ip::tcp::socket& stream() override { return socket_; }

 private:
  asio::ip::tcp::socket socket_{io_};
};

struct TlsClientOptions {
  int min_version = 0;  // TLS1_2_VERSION, ...; 0: library default
  int max_version = 0;
  bool legacy = false;  // security level 0 so the client can even offer TLS 1.1
  std::string ca;
  std::string cert;
  std::string key;
};

class TlsClient final : public ClientBase<asio::ssl::stream<asio::ip::tcp::socket>> {
 public:
  explicit TlsClient(const TlsClientOptions& options) : context_(asio::ssl::context::tls_client) {
    SSL_CTX* ctx = context_.native_handle();
    if (options.legacy) {
      SSL_CTX_set_security_level(ctx, 0);
      SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    }
    SSL_CTX_set_min_proto_version(ctx, options.min_version);
    SSL_CTX_set_max_proto_version(ctx, options.max_version);
    if (!options.ca.empty()) {
      context_.load_verify_file(options.ca);
      context_.set_verify_mode(asio::ssl::verify_peer);
    }
    if (!options.cert.empty()) {
      context_.use_certificate_chain_file(options.cert);
      context_.use_private_key_file(options.key, asio::ssl::context::pem);
    }
    stream_.emplace(io_, context_);
  }

  // Connects and handshakes; the error of the handshake (or of the connect).
  std::error_code connect(std::uint16_t port, std::chrono::milliseconds timeout = 5s) {
    std::error_code error;
    stream_->next_layer().connect({asio::ip::make_address("127.0.0.1"), port}, error);
    if (error) {
      return error;
    }
    error = asio::error::timed_out;
    stream_->async_handshake(asio::ssl::stream_base::client,
                             [&](std::error_code result) { error = result; });
    run(timeout);
    return error;
  }
  SSL* ssl() { return stream_->native_handle(); }

  // Sends our close_notify and waits (up to `timeout`) for the server's answer: its own
  // close_notify (no error) or the end of the TCP stream. asio::error::timed_out if neither.
  std::error_code shutdown(std::chrono::milliseconds timeout = 5s) {
    std::error_code error = asio::error::timed_out;
    stream_->async_shutdown([&](std::error_code result) { error = result; });
    run(timeout);
    return error;
  }

  // After the TLS stream ended: sends our TCP FIN and waits for the server's. True when the
  // server ended its side in order (EOF) within `timeout`; false on a reset or a timeout.
  bool finish_tcp(std::chrono::milliseconds timeout = 5s) {
    std::error_code ignored;
    stream_->next_layer().shutdown(asio::socket_base::shutdown_send, ignored);
    std::error_code error = asio::error::timed_out;
    std::array<std::uint8_t, 256> scratch{};
    stream_->next_layer().async_read_some(asio::buffer(scratch),
                                          [&](std::error_code result, std::size_t) { error = result; });
    run(timeout);
    return error == asio::error::eof;
  }

 protected:
  asio::ssl::stream<asio::ip::tcp::socket>& stream() override { return *stream_; }

 private:
  asio::ssl::context context_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> stream_;
};

inline std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

}  // namespace arkmq::net::testing
