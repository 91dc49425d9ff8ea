// Unit tests for DefaultAuthenticator and DefaultAuthorizer.
#include "broker/core/default_policy.hpp"

#include <gtest/gtest.h>

namespace arkmq::core {
namespace {

using protocol::ReasonCode;

TEST(DefaultAuthenticator, CertificatePrincipalIsAccepted) {
  DefaultAuthenticator auth(false);
  ConnectionInfo info{"p", "l", true, std::string("device-1"), {}};
  const auto result = auth.authenticate(info, Credentials{"c", std::nullopt, std::nullopt, false});
  EXPECT_EQ(result.reason, ReasonCode::success);
  EXPECT_EQ(result.principal, "device-1");
}

TEST(DefaultAuthenticator, AnonymousOnlyWhenAllowed) {
  ConnectionInfo info;
  EXPECT_EQ(DefaultAuthenticator(true).authenticate(info, {"c", std::nullopt, std::nullopt, false}).reason,
            ReasonCode::success);
  EXPECT_EQ(DefaultAuthenticator(false).authenticate(info, {"c", std::nullopt, std::nullopt, false}).reason,
            ReasonCode::not_authorized);
}

TEST(DefaultAuthenticator, PasswordIsRefusedAsBadCredentials) {
  DefaultAuthenticator auth(true);
  EXPECT_EQ(auth.authenticate(ConnectionInfo{}, {"c", "user", "secret", false}).reason,
            ReasonCode::bad_user_name_or_password);
}

TEST(DefaultAuthorizer, DollarTopicsAreNeverPublishable) {
  DefaultAuthorizer authz(AclDefault::allow);
  EXPECT_EQ(authz.authorize({"", "c", Action::publish, "$SYS/x"}), Decision::deny);
  EXPECT_EQ(authz.authorize({"", "c", Action::publish, "a/b"}), Decision::allow);
  EXPECT_EQ(authz.authorize({"", "c", Action::subscribe, "$SYS/#"}), Decision::allow);
  EXPECT_EQ(DefaultAuthorizer(AclDefault::deny).authorize({"", "c", Action::receive, "a"}),
            Decision::deny);
}

}  // namespace
}  // namespace arkmq::core
