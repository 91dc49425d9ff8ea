// RawClient: POSIX socket + poll(2); the frame boundary comes from the fixed header alone.
#include "tests/support/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace arkmq::test {

RawClient::RawClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(const wire::Bytes& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawClient::fill(const Deadline& deadline) {
  if (closed_) return false;
  pollfd pfd{fd_, POLLIN, 0};
  const int ready = ::poll(&pfd, 1, deadline.remaining_ms());
  if (ready <= 0) return false;
  std::uint8_t chunk[4096];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) {  // orderly close or reset
    closed_ = true;
    return false;
  }
  buffer_.insert(buffer_.end(), chunk, chunk + n);
  return true;
}

ReadResult RawClient::receive(const Deadline& deadline) {
  for (;;) {
    // Fixed header: type/flags byte, then a 1-4 byte remaining length [MQTT-2.2.3].
    if (buffer_.size() >= 2) {
      std::uint32_t length = 0;
      std::size_t header = 1;
      bool complete_length = false;
      for (int i = 0; i < 4 && header < buffer_.size(); ++i) {
        const std::uint8_t digit = buffer_[header++];
        length |= static_cast<std::uint32_t>(digit & 0x7F) << (7 * i);
        if ((digit & 0x80) == 0) {
          complete_length = true;
          break;
        }
      }
      if (complete_length && buffer_.size() >= header + length) {
        ReadResult result{ReadStatus::frame, {}};
        result.frame.first_byte = buffer_[0];
        result.frame.body.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(header),
                                 buffer_.begin() + static_cast<std::ptrdiff_t>(header + length));
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(header + length));
        last_frame_ = result.frame;
        return result;
      }
    }
    if (!fill(deadline)) return {closed_ ? ReadStatus::closed : ReadStatus::timeout, {}};
  }
}

std::optional<wire::Frame> RawClient::receive_type(int type, const Deadline& deadline) {
  for (;;) {
    ReadResult result = receive(deadline);
    if (result.status != ReadStatus::frame) return std::nullopt;
    if (result.frame.type() == type) return result.frame;
  }
}

bool RawClient::expect_closed(const Deadline& deadline) {
  for (;;) {
    const ReadResult result = receive(deadline);
    if (result.status == ReadStatus::closed) return true;
    if (result.status == ReadStatus::timeout) return false;
  }
}

std::optional<wire::Frame> RawClient::connect(const wire::ConnectSpec& spec,
                                              const Deadline& deadline) {
  if (!send(wire::connect(spec))) return std::nullopt;
  return receive_type(2, deadline);
}

void RawClient::abort() {
  // SO_LINGER 0 makes close() send RST: the broker sees a network failure, not a DISCONNECT.
  linger hard{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd_);
  fd_ = -1;
  closed_ = true;
}

}  // namespace arkmq::test
