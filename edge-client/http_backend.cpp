// HTTP backend on cpp-httplib (Debian's libcpp-httplib-dev).
#include "edge-client/http_backend.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "edge-client/tcp_socket.hpp"

namespace arkmq::edge {
namespace {

void set_timeouts(httplib::Client& client, std::chrono::milliseconds left) {
  const auto ms = std::max<std::int64_t>(left.count(), 1);
  const auto sec = static_cast<time_t>(ms / 1000);
  const auto usec = static_cast<time_t>((ms % 1000) * 1000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
}

}  // namespace

HttpBackend::HttpBackend(const ServiceConfig& service)
    : service_(service.name), host_(service.backend.host), port_(service.backend.port),
      base_path_(service.backend.path), health_path_(service.health_path) {}

BackendResult HttpBackend::call(const BackendRequest& request) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline - SteadyClock::now());
  if (left.count() <= 0) return BackendResult::failure("backend did not answer before the deadline");
  httplib::Client client(host_, port_);
  set_timeouts(client, left);
  client.set_keep_alive(false);
  const std::string path = base_path_ + "/" + request.method;
  const std::string content_type =
      request.content_type.empty() ? "application/octet-stream" : request.content_type;
  auto response = client.Post(path, request.payload, content_type);
  if (!response) {
    // httplib's timeouts can fire a few milliseconds before our deadline (poll granularity).
    const bool late = SteadyClock::now() + std::chrono::milliseconds(50) >= request.deadline ||
                      response.error() == httplib::Error::ConnectionTimeout;
    spdlog::warn("service {}: http backend {}:{}{} failed: {}", service_, host_, port_, path,
                 httplib::to_string(response.error()));
    return BackendResult::failure(late ? "backend did not answer before the deadline"
                                       : "backend unreachable");
  }
  BackendResult result;
  result.details.emplace_back("http-status", std::to_string(response->status));
  if (response->status >= 500) {
    spdlog::warn("service {}: http backend {}:{}{} answered {}", service_, host_, port_, path,
                 response->status);
    result.error = "backend answered HTTP " + std::to_string(response->status);
    return result;
  }
  result.status = CallStatus::ok;
  result.payload = response->body;
  result.content_type = response->get_header_value("Content-Type");
  return result;
}

bool HttpBackend::check_health(std::chrono::milliseconds timeout) {
  if (health_path_.empty()) {
    return TcpSocket::connect(host_, port_, SteadyClock::now() + timeout).has_value();
  }
  httplib::Client client(host_, port_);
  set_timeouts(client, timeout);
  client.set_keep_alive(false);
  auto response = client.Get(health_path_);
  return response && response->status < 500;
}

}  // namespace arkmq::edge
