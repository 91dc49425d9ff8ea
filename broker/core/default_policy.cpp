// The default identity and access policy (see default_policy.hpp).
#include "broker/core/default_policy.hpp"

namespace arkmq::core {

using protocol::ReasonCode;

DefaultAuthenticator::DefaultAuthenticator(bool allow_anonymous) : allow_anonymous_(allow_anonymous) {}

AuthResult DefaultAuthenticator::authenticate(const ConnectionInfo& connection,
                                              const Credentials& credentials) {
  // No user store yet: a password can never be checked, so it is refused, never guessed.
  if (credentials.password) {
    return {ReasonCode::bad_user_name_or_password, {}, "no user store: passwords are not accepted"};
  }
  if (connection.certificate_principal) {
    return {ReasonCode::success, *connection.certificate_principal, "client certificate"};
  }
  if (credentials.username) {
    return {ReasonCode::bad_user_name_or_password, {}, "no user store: user names are not accepted"};
  }
  if (allow_anonymous_) return {ReasonCode::success, {}, "anonymous"};
  return {ReasonCode::not_authorized, {}, "no credentials and anonymous clients are not allowed"};
}

DefaultAuthorizer::DefaultAuthorizer(AclDefault default_decision) : default_(default_decision) {}

Decision DefaultAuthorizer::authorize(const AccessRequest& request) {
  if (request.action == Action::publish && !request.topic.empty() && request.topic.front() == '$') {
    return Decision::deny;
  }
  return default_ == AclDefault::allow ? Decision::allow : Decision::deny;
}

}  // namespace arkmq::core
