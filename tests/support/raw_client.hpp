// A blocking loopback TCP client that sends exact bytes and reads whole MQTT frames, for tests that
// must misbehave (malformed packets, no acks, silence). One test thread owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tests/support/deadline.hpp"
#include "tests/support/wire.hpp"

namespace arkmq::test {

enum class ReadStatus { frame, timeout, closed };

struct ReadResult {
  ReadStatus status = ReadStatus::timeout;
  wire::Frame frame;
};

class RawClient {
 public:
  // Connects to 127.0.0.1:port; throws std::runtime_error if the connection is refused.
  explicit RawClient(std::uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Writes all bytes; false if the peer has already closed.
  bool send(const wire::Bytes& bytes);

  // The next whole frame, or timeout / closed.
  ReadResult receive(const Deadline& deadline);

  // The next frame of the given packet type, skipping others (e.g. PINGRESP, $SYS traffic);
  // nullopt on timeout or close.
  std::optional<wire::Frame> receive_type(int type, const Deadline& deadline);

  // True when the broker closes the connection before the deadline. Frames read meanwhile are
  // discarded; the last one is kept in last_frame().
  bool expect_closed(const Deadline& deadline);
  const std::optional<wire::Frame>& last_frame() const { return last_frame_; }

  // Sends CONNECT and reads CONNACK; the CONNACK frame or nullopt.
  std::optional<wire::Frame> connect(const wire::ConnectSpec& spec, const Deadline& deadline);

  // Closes the socket with a TCP reset and no DISCONNECT: an abrupt network loss.
  void abort();

 private:
  bool fill(const Deadline& deadline);  // reads more bytes; false on timeout/close
  int fd_ = -1;
  bool closed_ = false;
  wire::Bytes buffer_;
  std::optional<wire::Frame> last_frame_;
};

}  // namespace arkmq::test
