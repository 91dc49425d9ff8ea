// The broker's identity and access policy: adapts acl::Authority (users, rules, service grants)
// to the core's Authenticator and Authorizer interfaces. Thread-safe: called from every worker;
// the Authority's snapshot is replaced by the policy watcher on the main thread.
#pragma once

#include <memory>

#include <spdlog/logger.h>

#include "acl/authority.hpp"
#include "broker/core/authenticator.hpp"

namespace arkmq::app {

class AclPolicy final : public core::Authenticator, public core::Authorizer {
 public:
  // `log`: the "acl" module's logger; null: spdlog's default.
  explicit AclPolicy(std::shared_ptr<acl::Authority> authority,
                     std::shared_ptr<spdlog::logger> log = {});

  // Connection + credentials -> acl::LoginRequest (the listener's allow_anonymous and
  // require_password included). A refusal is logged at info with client id, peer, listener
  // and the Authority's reason; never the password.
  core::AuthResult authenticate(const core::ConnectionInfo& connection,
                                const core::Credentials& credentials) override;

  // The Authority's current rules for the principal fixed at CONNECT ("" is anonymous).
  // Denials are logged at debug.
  core::Decision authorize(const core::AccessRequest& request) override;

  acl::Authority& authority() { return *authority_; }

 private:
  std::shared_ptr<acl::Authority> authority_;
  std::shared_ptr<spdlog::logger> log_;
};

// core::Action -> acl::Action (same three actions; the enums are separate by layering).
acl::Action to_acl_action(core::Action action);

}  // namespace arkmq::app
