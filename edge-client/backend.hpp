// The interface every service backend implements (http, tcp, mqtt), and its request/result
// values. A Backend is called from the call workers (any number at once) and the health checker.
#pragma once

#include <chrono>
#include <string>

#include "edge-client/message.hpp"

namespace arkmq::edge {

using SteadyClock = std::chrono::steady_clock;

struct BackendRequest {
  std::string service;
  std::string method;
  std::string payload;
  std::string content_type;
  SteadyClock::time_point deadline;  // the backend exchange is abandoned at this time
};

enum class CallStatus { ok, backend_error };

// What goes back to the cloud. `error` is a fixed, generic phrase that never names an address
// or port (backends log the details locally); `details` are extra user properties (http-status).
struct BackendResult {
  CallStatus status = CallStatus::backend_error;
  std::string payload;
  std::string content_type;
  std::string error;
  UserProperties details;

  static BackendResult failure(std::string error) {
    BackendResult result;
    result.error = std::move(error);
    return result;
  }
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Thread-safe; returns by the request's deadline (a little after at most).
  virtual BackendResult call(const BackendRequest& request) = 0;
  // True when the backend answers its health check within `timeout`.
  virtual bool check_health(std::chrono::milliseconds timeout) = 0;
};

}  // namespace arkmq::edge
