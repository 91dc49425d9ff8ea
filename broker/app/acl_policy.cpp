// AclPolicy: core::Authenticator/Authorizer over acl::Authority.
#include "broker/app/acl_policy.hpp"

#include <spdlog/spdlog.h>

namespace arkmq::app {
namespace {

const char* action_name(core::Action action) {
  switch (action) {
    case core::Action::publish:
      return "publish";
    case core::Action::subscribe:
      return "subscribe";
    case core::Action::receive:
      return "receive";
  }
  return "?";
}

}  // namespace

acl::Action to_acl_action(core::Action action) {
  switch (action) {
    case core::Action::publish:
      return acl::Action::publish;
    case core::Action::subscribe:
      return acl::Action::subscribe;
    case core::Action::receive:
      return acl::Action::receive;
  }
  return acl::Action::publish;  // unreachable: every enumerator is handled above
}

AclPolicy::AclPolicy(std::shared_ptr<acl::Authority> authority,
                     std::shared_ptr<spdlog::logger> log)
    : authority_(std::move(authority)), log_(log ? std::move(log) : spdlog::default_logger()) {}

core::AuthResult AclPolicy::authenticate(const core::ConnectionInfo& connection,
                                         const core::Credentials& credentials) {
  acl::LoginRequest request;
  request.client_id = credentials.client_id;
  request.client_id_assigned = credentials.client_id_assigned;
  request.username = credentials.username;
  request.password = credentials.password;
  if (connection.certificate_principal) request.certificate_principal = *connection.certificate_principal;
  request.allow_anonymous = connection.policy.allow_anonymous;
  request.require_password = connection.policy.require_password;

  acl::LoginResult result = authority_->login(request);
  if (result.reason != protocol::ReasonCode::success) {
    // The claimed user name is in `why`, escaped by the Authority (it is attacker-controlled).
    log_->info("login refused: id='{}' peer={} listener={}: {} ({})", credentials.client_id,
                 connection.peer, connection.listener, result.why,
                 protocol::to_string(result.reason));
  }
  return core::AuthResult{result.reason, std::move(result.principal), std::move(result.why)};
}

core::Decision AclPolicy::authorize(const core::AccessRequest& request) {
  const acl::Effect effect = authority_->check(request.principal, request.client_id,
                                               to_acl_action(request.action), request.topic);
  if (effect == acl::Effect::allow) return core::Decision::allow;
  log_->debug("access denied: principal='{}' client='{}' {} '{}'", request.principal,
                request.client_id, action_name(request.action), request.topic);
  return core::Decision::deny;
}

}  // namespace arkmq::app
