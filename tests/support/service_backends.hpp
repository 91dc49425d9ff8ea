// Local backends behind arkmq-edge in the services system tests: an HTTP server (cpp-httplib), a
// TCP server speaking 4-byte big-endian length-prefixed frames, and an MQTT 5 responder on the
// site broker. Each counts the requests it received (so a test can prove a refused call never
// reached it) and runs on its own threads; stopped and joined on destruction (svc-system).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tests/support/paho_helpers.hpp"

namespace httplib {
class Server;
}

namespace arkmq::test {

// Counts events and lets the test thread wait for a count (no sleeps).
class RequestCounter {
 public:
  void add();
  std::size_t count() const;
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::size_t count_ = 0;
};

// POST /api/echo -> 200 "http:<body>" (text/plain); POST /api/fail -> 503;
// POST /api/slow -> "slow:<body>" after `slow_delay` (released early on destruction);
// GET /health -> 200. Every POST is counted.
class HttpBackend {
 public:
  explicit HttpBackend(std::chrono::milliseconds slow_delay = std::chrono::seconds(4));
  ~HttpBackend();
  HttpBackend(const HttpBackend&) = delete;
  HttpBackend& operator=(const HttpBackend&) = delete;

  std::uint16_t port() const { return port_; }
  const RequestCounter& requests() const { return requests_; }

 private:
  RequestCounter requests_;
  std::chrono::milliseconds slow_delay_;
  std::mutex release_mutex_;
  std::condition_variable release_;
  bool releasing_ = false;
  std::unique_ptr<httplib::Server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// One connection per request: reads one frame, answers one frame "tcp:<payload>", closes.
// A connection that sends no complete frame (a health check's connect) is not counted.
class TcpFrameBackend {
 public:
  TcpFrameBackend();
  ~TcpFrameBackend();
  TcpFrameBackend(const TcpFrameBackend&) = delete;
  TcpFrameBackend& operator=(const TcpFrameBackend&) = delete;

  std::uint16_t port() const { return port_; }
  const RequestCounter& requests() const { return requests_; }

 private:
  void run();
  void serve(int fd);

  RequestCounter requests_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// On the site broker: answers MQTT 5 requests on `topic_prefix`/+ with "mqtt:<payload>" (text/plain)
// on their Response Topic with their Correlation Data.
class MqttResponder {
 public:
  MqttResponder(const std::string& site_uri, const std::string& topic_prefix);
  ~MqttResponder();
  MqttResponder(const MqttResponder&) = delete;
  MqttResponder& operator=(const MqttResponder&) = delete;

  const RequestCounter& requests() const { return requests_; }

 private:
  RequestCounter requests_;  // before client_: Paho's callback thread ends first
  std::unique_ptr<PahoClient> client_;
};

}  // namespace arkmq::test
