// The sans-I/O endpoint of one client connection: bytes in, packets handled, bytes out through
// the ClientLink. Owned by the net layer's connection; called only from that connection's
// worker thread (the Broker it talks to is thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "broker/core/broker.hpp"
#include "broker/core/client_link.hpp"
#include "broker/core/connection_info.hpp"
#include "broker/core/connection_state.hpp"

namespace arkmq::core {

class ClientConnection {
 public:
  ClientConnection(Broker& broker, ConnectionInfo info, std::shared_ptr<ClientLink> link,
                   Clock::time_point now);
  ~ClientConnection();  // behaves as on_transport_closed() if the transport is still open
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Bytes read from the socket, in order. Partial packets are buffered (bounded by the maximum
  // packet size). Protocol violations close the link (v5: DISCONNECT with a reason code first).
  void on_bytes(std::span<const std::uint8_t> data, Clock::time_point now);

  // Called about once a second: connect deadline, keep alive (1.5 x) [MQTT-3.1.2-24].
  void on_tick(Clock::time_point now);

  // The socket is gone (peer closed, error, or after close()). Publishes the will unless the
  // client disconnected normally; detaches or ends the session.
  void on_transport_closed();

  // True once the connection has asked its link to close; the net layer stops reading.
  bool is_closing() const;

  // Flow control: when set, the net layer reads nothing more from the socket until then (then
  // resumes and calls on_bytes as usual). Checked after every on_bytes.
  std::optional<Clock::time_point> read_paused_until() const;

 private:
  // Inline rather than behind a pointer: one allocation fewer per connection (issue 7).
  ConnectionState state_;
};

}  // namespace arkmq::core
