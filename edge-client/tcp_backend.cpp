// TCP backend: connect, write one frame, read one frame, close. Details are logged, never sent.
#include "edge-client/tcp_backend.hpp"

#include <spdlog/spdlog.h>

#include "edge-client/tcp_framing.hpp"
#include "edge-client/tcp_socket.hpp"

namespace arkmq::edge {
namespace {

BackendResult failure_for(SocketError error, const std::string& service, const std::string& where) {
  switch (error) {
    case SocketError::unreachable:
      spdlog::warn("service {}: tcp backend {} unreachable", service, where);
      return BackendResult::failure("backend unreachable");
    case SocketError::timeout:
      spdlog::warn("service {}: tcp backend {} did not answer before the deadline", service, where);
      return BackendResult::failure("backend did not answer before the deadline");
    case SocketError::closed:
      spdlog::warn("service {}: tcp backend {} closed the connection early", service, where);
      return BackendResult::failure("backend closed the connection");
    case SocketError::protocol:
      spdlog::warn("service {}: tcp backend {} sent a bad frame", service, where);
      return BackendResult::failure("backend sent a malformed reply");
  }
  return BackendResult::failure("backend failed");
}

}  // namespace

TcpBackend::TcpBackend(const ServiceConfig& service)
    : service_(service.name), host_(service.backend.host), port_(service.backend.port) {}

BackendResult TcpBackend::call(const BackendRequest& request) {
  const std::string where = host_ + ":" + std::to_string(port_);
  auto socket = TcpSocket::connect(host_, port_, request.deadline);
  if (!socket) return failure_for(socket.error(), service_, where);
  if (request.payload.size() > kMaxTcpFrame) return BackendResult::failure("request too large");
  if (auto ok = socket->write_all(encode_frame(request.payload), request.deadline); !ok) {
    return failure_for(ok.error(), service_, where);
  }
  FrameReader reader;
  while (true) {
    auto bytes = socket->read_some(64 * 1024, request.deadline);
    if (!bytes) return failure_for(bytes.error(), service_, where);
    const auto state = reader.feed(*bytes);
    if (state == FrameReader::State::too_large) return failure_for(SocketError::protocol, service_, where);
    if (state == FrameReader::State::complete) break;
  }
  BackendResult result;
  result.status = CallStatus::ok;
  result.payload = reader.payload();
  return result;
}

bool TcpBackend::check_health(std::chrono::milliseconds timeout) {
  return TcpSocket::connect(host_, port_, SteadyClock::now() + timeout).has_value();
}

}  // namespace arkmq::edge
