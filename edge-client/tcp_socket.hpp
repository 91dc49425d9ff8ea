// Blocking TCP with deadlines (poll on a non-blocking socket), for the TCP backend and for
// connect-only health checks. One call owns one socket; any thread.
// Why not Asio: a backend exchange is one connect/write/read on a call worker that may block
// anyway; poll() with the call's deadline says exactly that with no io_context to run.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "edge-client/backend.hpp"

namespace arkmq::edge {

enum class SocketError { unreachable, timeout, closed, protocol };

class TcpSocket {
 public:
  static tl::expected<TcpSocket, SocketError> connect(const std::string& host, std::uint16_t port,
                                                      SteadyClock::time_point deadline);
  TcpSocket(TcpSocket&& other) noexcept;
  TcpSocket& operator=(TcpSocket&& other) noexcept;
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;
  ~TcpSocket();

  tl::expected<void, SocketError> write_all(std::string_view bytes, SteadyClock::time_point deadline);
  // Some bytes (at most `max`); `closed` at EOF.
  tl::expected<std::string, SocketError> read_some(std::size_t max, SteadyClock::time_point deadline);

 private:
  explicit TcpSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace arkmq::edge
