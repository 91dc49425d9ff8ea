// Test backends.
#include "edge-client/test_servers.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "edge-client/tcp_framing.hpp"

namespace arkmq::edge::test {

HttpTestServer::HttpTestServer() : server_(std::make_unique<httplib::Server>()) {
  server_->Post("/api/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("echo:" + req.body, "text/plain");
  });
  server_->Post("/api/fail", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("down", "text/plain");
  });
  server_->Post("/api/slow", [](const httplib::Request&, httplib::Response& res) {
    // The slow backend under test (its behaviour, not a test's synchronisation).
    std::this_thread::sleep_for(std::chrono::seconds(3));
    res.set_content("late", "text/plain");
  });
  server_->Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  const int port = server_->bind_to_any_port("127.0.0.1");
  if (port <= 0) throw std::runtime_error("http test server: bind failed");
  port_ = static_cast<std::uint16_t>(port);
  // bind_to_any_port already listens: connections queue in the backlog until the loop accepts.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

HttpTestServer::~HttpTestServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

TcpFrameServer::TcpFrameServer(std::uint16_t port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_port = htons(port);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("tcp test server: bind failed");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

TcpFrameServer::~TcpFrameServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

void TcpFrameServer::run() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    FrameReader reader;
    char buffer[4096];
    bool complete = false;
    for (int reads = 0; reads < 10'000 && !complete; ++reads) {
      pollfd c{fd, POLLIN, 0};
      if (::poll(&c, 1, 2000) <= 0) break;
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      complete = reader.feed(std::string_view(buffer, static_cast<std::size_t>(n))) ==
                 FrameReader::State::complete;
    }
    if (complete) {
      const std::string reply = encode_frame("tcp:" + reader.payload());
      [[maybe_unused]] const auto sent = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
    ::close(fd);
  }
}

}  // namespace arkmq::edge::test
