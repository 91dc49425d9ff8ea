// An http:// backend on cpp-httplib: method M of a service with base path /api is a POST to
// /api/M; the payload is the body; status and Content-Type come back. Thread-safe (one
// httplib::Client per call).
#pragma once

#include <string>

#include "edge-client/backend.hpp"
#include "edge-client/edge_config.hpp"

namespace arkmq::edge {

class HttpBackend final : public Backend {
 public:
  explicit HttpBackend(const ServiceConfig& service);
  // HTTP status < 500: svc-status ok, body and Content-Type passed back; 5xx: backend_error.
  // Either way the user property `http-status` carries the code.
  BackendResult call(const BackendRequest& request) override;
  // GET health_path answered with a status below 500; without health_path, a TCP connect.
  bool check_health(std::chrono::milliseconds timeout) override;

 private:
  std::string service_;
  std::string host_;
  std::uint16_t port_;
  std::string base_path_;
  std::string health_path_;
};

}  // namespace arkmq::edge
