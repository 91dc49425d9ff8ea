// Decides who a connecting client is and whether it may connect, and what it may do with a
// topic. Interfaces here; broker/core ships the default policy, acl/ the full one.
// Implementations must be thread-safe: they are called from every worker.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "broker/core/connection_info.hpp"
#include "broker/protocol/reason_code.hpp"

namespace arkmq::core {

struct Credentials {
  std::string_view client_id;
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;  // never logged
  bool client_id_assigned = false;           // the client sent none; the broker made it up
};

struct AuthResult {
  protocol::ReasonCode reason = protocol::ReasonCode::not_authorized;  // success when accepted
  std::string principal;  // empty for an anonymous client
  std::string why;        // for the log and the audit journal; never a password
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual AuthResult authenticate(const ConnectionInfo& connection,
                                  const Credentials& credentials) = 0;
};

enum class Action { publish, subscribe, receive };
enum class Decision { allow, deny };

struct AccessRequest {
  std::string_view principal;
  std::string_view client_id;
  Action action;
  std::string_view topic;  // a topic name for publish/receive, a filter for subscribe
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual Decision authorize(const AccessRequest& request) = 0;
};

}  // namespace arkmq::core
