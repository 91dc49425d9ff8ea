// POSIX sockets with poll() deadlines.
#include "edge-client/tcp_socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace arkmq::edge {
namespace {

int millis_left(SteadyClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1'000'000 ? 1'000'000 : static_cast<int>(left.count());
}

// true when the socket is ready for `events` before the deadline.
bool wait_for(int fd, short events, SteadyClock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, millis_left(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

tl::expected<TcpSocket, SocketError> TcpSocket::connect(const std::string& host, std::uint16_t port,
                                                        SteadyClock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || found == nullptr) {
    return tl::make_unexpected(SocketError::unreachable);
  }
  SocketError last = SocketError::unreachable;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    TcpSocket socket(fd);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      ::freeaddrinfo(found);
      return socket;
    }
    if (errno != EINPROGRESS) continue;
    if (!wait_for(fd, POLLOUT, deadline)) {
      last = SocketError::timeout;
      continue;
    }
    int error = 0;
    socklen_t len = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0) {
      ::freeaddrinfo(found);
      return socket;
    }
  }
  ::freeaddrinfo(found);
  return tl::make_unexpected(last);
}

TcpSocket::TcpSocket(TcpSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

TcpSocket& TcpSocket::operator=(TcpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

TcpSocket::~TcpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

tl::expected<void, SocketError> TcpSocket::write_all(std::string_view bytes,
                                                     SteadyClock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_for(fd_, POLLOUT, deadline)) return tl::make_unexpected(SocketError::timeout);
      continue;
    }
    return tl::make_unexpected(SocketError::closed);
  }
  return {};
}

tl::expected<std::string, SocketError> TcpSocket::read_some(std::size_t max,
                                                            SteadyClock::time_point deadline) {
  std::string buffer(max, '\0');
  while (true) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      buffer.resize(static_cast<std::size_t>(n));
      return buffer;
    }
    if (n == 0) return tl::make_unexpected(SocketError::closed);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (!wait_for(fd_, POLLIN, deadline)) return tl::make_unexpected(SocketError::timeout);
      continue;
    }
    return tl::make_unexpected(SocketError::closed);
  }
}

}  // namespace arkmq::edge
