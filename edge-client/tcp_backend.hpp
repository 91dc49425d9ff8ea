// A tcp:// backend: one connection per call, one length-prefixed request frame out, one reply
// frame back (tcp_framing.hpp). Stateless, so any number of call workers may use it at once.
#pragma once

#include <string>

#include "edge-client/backend.hpp"
#include "edge-client/edge_config.hpp"

namespace arkmq::edge {

class TcpBackend final : public Backend {
 public:
  explicit TcpBackend(const ServiceConfig& service);
  BackendResult call(const BackendRequest& request) override;
  bool check_health(std::chrono::milliseconds timeout) override;  // a TCP connect

 private:
  std::string service_;
  std::string host_;
  std::uint16_t port_;
};

}  // namespace arkmq::edge
