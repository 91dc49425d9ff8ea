// In-process backends for the edge tests: an HTTP server (cpp-httplib) and a TCP frame server.
// Each runs on its own thread on a free loopback port; stopped and joined on destruction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace arkmq::edge::test {

// POST /api/echo -> 200 "echo:<body>" (text/plain); POST /api/fail -> 503;
// POST /api/slow -> answers after 3 s; GET /health -> 200.
class HttpTestServer {
 public:
  HttpTestServer();
  ~HttpTestServer();
  std::uint16_t port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// Reads one length-prefixed frame, answers one frame "tcp:<payload>", closes.
class TcpFrameServer {
 public:
  explicit TcpFrameServer(std::uint16_t port = 0);  // 0: any free port
  ~TcpFrameServer();
  std::uint16_t port() const { return port_; }

 private:
  void run();
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace arkmq::edge::test
