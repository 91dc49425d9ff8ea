// http:// -> HttpBackend, tcp:// -> TcpBackend, mqtt:// -> MqttBackend.
#include "edge-client/backend_factory.hpp"

#include "edge-client/http_backend.hpp"
#include "edge-client/mqtt_backend.hpp"
#include "edge-client/tcp_backend.hpp"

namespace arkmq::edge {

std::unique_ptr<Backend> make_backend(const ServiceConfig& service, const std::string& node) {
  switch (service.backend.kind) {
    case BackendKind::http:
      return std::make_unique<HttpBackend>(service);
    case BackendKind::tcp:
      return std::make_unique<TcpBackend>(service);
    case BackendKind::mqtt:
      return std::make_unique<MqttBackend>(service, node);
  }
  return nullptr;
}

}  // namespace arkmq::edge
