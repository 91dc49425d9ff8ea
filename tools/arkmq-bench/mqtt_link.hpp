// One benchmark MQTT connection: opens the transport, CONNECT/CONNACK, frames what it reads,
// keeps the connection alive and batches writes (one write outstanding; what is queued meanwhile
// goes in the next). Publisher and Subscriber add their roles. Lives on one io_context's thread;
// the post_* entry points may be called from any thread.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/protocol/codec.hpp"
#include "tools/arkmq-bench/run_state.hpp"
#include "tools/arkmq-bench/transport.hpp"

namespace arkmq::bench {

// How every connection of a run reaches and greets the broker.
struct LinkSettings {
  asio::ip::tcp::endpoint endpoint;
  std::string host;  // for SNI and the certificate check
  bool tls = false;
  bool verify_host = true;
  asio::ssl::context* tls_context = nullptr;
  protocol::ProtocolVersion version = protocol::ProtocolVersion::v311;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::uint16_t keep_alive_s = 60;
  bool request_response_information = false;  // v5: ask for CONNACK's Response Information
};

// The CONNECT every benchmark connection sends (clean start, no will).
protocol::Connect make_connect(const LinkSettings& settings, const std::string& client_id);

class MqttLink {
 public:
  // read_chunk: the read buffer's size and growth step (small for idle connections).
  MqttLink(asio::io_context& io, const LinkSettings& settings, RunState& run, std::string client_id,
           std::size_t read_chunk = 64 * 1024);
  virtual ~MqttLink() = default;
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  void post_start();  // open, CONNECT, CONNACK, then on_connected()
  void post_close();  // DISCONNECT, then close; counts RunState::closed once

  const std::string& client_id() const { return client_id_; }
  // The local address to connect from (idle: spread over loopback addresses); before post_start.
  void set_source(std::optional<asio::ip::address> source) { source_ = std::move(source); }

 protected:
  virtual void on_connected(const protocol::Connack& connack) = 0;
  // A whole frame after CONNACK (PINGRESP is handled here).
  virtual void on_frame(std::span<const std::uint8_t> frame, std::size_t header_size) = 0;
  virtual void on_read_batch_end() {}  // every frame of one read is handled: flush acks
  virtual void on_written() {}         // the previous write finished: room for more
  virtual void on_closing() {}         // cancel role timers

  std::vector<std::uint8_t>& out() { return pending_; }
  void flush();
  void fail(const std::string& what);  // counts an error and closes
  bool closing() const { return closing_; }
  bool write_busy() const { return write_busy_; }
  protocol::ProtocolVersion version() const { return settings_.version; }
  asio::io_context& io() { return io_; }
  RunState& run() { return run_; }

 private:
  void send_connect();
  void read_more();
  void handle_input();
  bool handle_connack(std::span<const std::uint8_t> frame);
  void on_write_done(std::error_code ec);
  void schedule_ping();
  void start_close();
  void finish();

  asio::io_context& io_;
  const LinkSettings& settings_;
  RunState& run_;
  std::string client_id_;
  Transport transport_;
  std::optional<asio::ip::address> source_;
  asio::steady_timer ping_timer_;
  std::uint16_t keep_alive_s_;
  std::size_t read_chunk_;
  std::vector<std::uint8_t> in_;
  std::size_t in_used_ = 0;
  std::vector<std::uint8_t> pending_;
  std::vector<std::uint8_t> writing_;
  bool write_busy_ = false;
  bool connected_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace arkmq::bench
