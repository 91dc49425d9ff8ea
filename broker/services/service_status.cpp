// The `svc-status` names and default error texts. Pure functions; any thread.
#include "broker/services/service_status.hpp"

#include <array>

namespace arkmq::services {

std::string_view to_string(ServiceStatus status) {
  switch (status) {
    case ServiceStatus::ok: return "ok";
    case ServiceStatus::denied: return "denied";
    case ServiceStatus::no_such_service: return "no_such_service";
    case ServiceStatus::no_node_available: return "no_node_available";
    case ServiceStatus::timeout: return "timeout";
    case ServiceStatus::backend_error: return "backend_error";
    case ServiceStatus::quota_exceeded: return "quota_exceeded";
    case ServiceStatus::bad_request: return "bad_request";
  }
  return "backend_error";
}

std::optional<ServiceStatus> parse_service_status(std::string_view text) {
  constexpr std::array all{ServiceStatus::ok,          ServiceStatus::denied,
                           ServiceStatus::no_such_service, ServiceStatus::no_node_available,
                           ServiceStatus::timeout,     ServiceStatus::backend_error,
                           ServiceStatus::quota_exceeded, ServiceStatus::bad_request};
  for (const auto status : all) {
    if (to_string(status) == text) return status;
  }
  return std::nullopt;
}

std::string_view default_error_text(ServiceStatus status) {
  switch (status) {
    case ServiceStatus::ok: return "";
    case ServiceStatus::denied: return "not allowed to call this service method";
    case ServiceStatus::no_such_service: return "no node has announced this service";
    case ServiceStatus::no_node_available: return "no node of this service is available";
    case ServiceStatus::timeout: return "no reply before the deadline";
    case ServiceStatus::backend_error: return "the service's backend failed";
    case ServiceStatus::quota_exceeded: return "call quota exceeded";
    case ServiceStatus::bad_request: return "malformed service call";
  }
  return "";
}

}  // namespace arkmq::services
