// The `svc-status` values of docs/protocol.md ("Errors") and their default `svc-error` texts.
// Pure values; any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace arkmq::services {

// Time is passed in by the caller (no clock reads in this library); steady time, as core uses.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// Spelled as on the wire (docs/protocol.md, the `svc-status` table).
enum class ServiceStatus {
  ok,
  denied,
  no_such_service,
  no_node_available,
  timeout,
  backend_error,
  quota_exceeded,
  bad_request,
};

std::string_view to_string(ServiceStatus status);

// Parses a wire value; nullopt for anything not in the table.
std::optional<ServiceStatus> parse_service_status(std::string_view text);

// A short human-readable `svc-error` for an error reply when the caller has nothing better.
std::string_view default_error_text(ServiceStatus status);

}  // namespace arkmq::services
