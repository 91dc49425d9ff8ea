// The identity and access policy the broker uses until acl/ provides users and rules:
// certificate principals and (optionally) anonymous clients, and one default decision.
// Stateless after construction; thread-safe.
#pragma once

#include "broker/core/authenticator.hpp"
#include "broker/core/broker_config.hpp"

namespace arkmq::core {

// Accepts a client with a verified certificate (principal = certificate identity) and, when
// allowed, an anonymous client (no username; principal empty). A username/password is refused
// with bad_user_name_or_password: there is no user store yet, and guessing is not an option.
class DefaultAuthenticator final : public Authenticator {
 public:
  explicit DefaultAuthenticator(bool allow_anonymous);
  AuthResult authenticate(const ConnectionInfo& connection, const Credentials& credentials) override;

 private:
  bool allow_anonymous_;
};

// Clients never publish to `$`-topics (reserved for the broker: $SYS, $svc, ...); everything
// else gets the configured default decision.
class DefaultAuthorizer final : public Authorizer {
 public:
  explicit DefaultAuthorizer(AclDefault default_decision);
  Decision authorize(const AccessRequest& request) override;

 private:
  AclDefault default_;
};

}  // namespace arkmq::core
