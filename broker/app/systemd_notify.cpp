// sd_notify(3) without libsystemd: the protocol is one datagram of "KEY=VALUE" lines to the
// AF_UNIX socket named by $NOTIFY_SOCKET. Owner: ops-package.
#include "broker/app/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace arkmq::app {
namespace {

// Closes the descriptor on every return path.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

bool systemd_notify(std::string_view state) {
  const char* variable = std::getenv("NOTIFY_SOCKET");
  if (variable == nullptr || *variable == '\0') {
    return true;  // not started by systemd (or by a supervisor speaking its protocol)
  }
  const std::string_view path(variable);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // systemd passes either a file system path or an abstract name written with a leading '@'.
  if ((path.front() != '/' && path.front() != '@') || path.size() >= sizeof(address.sun_path)) {
    return false;
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  if (path.front() == '@') {
    address.sun_path[0] = '\0';  // abstract namespace: the name is not NUL-terminated
  }
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());

  Socket socket(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (socket.fd() < 0) {
    return false;
  }
  ssize_t sent = -1;
  do {
    sent = ::sendto(socket.fd(), state.data(), state.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&address), length);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(state.size());
}

std::string ready_message(const std::vector<std::string>& bound_urls) {
  std::string message = "READY=1\nSTATUS=listening on ";
  for (std::size_t i = 0; i < bound_urls.size(); ++i) {
    message += (i == 0 ? "" : ", ") + bound_urls[i];
  }
  if (bound_urls.empty()) {
    message += "no listener";
  }
  return message;
}

}  // namespace arkmq::app
