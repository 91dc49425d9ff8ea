#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "acl/authority.hpp"
#include "acl/authority_test_support.hpp"
#include "acl/password_hash.hpp"

namespace arkmq::acl::authority_test {
namespace {

// --- password logins -------------------------------------------------------------------------

TEST_F(AuthorityTest, AcceptsTheRightPassword) {
  const auto result = authority_.login(password_login("alice", "alice-pw"));
  EXPECT_EQ(result.reason, ReasonCode::success);
  EXPECT_EQ(result.principal, "alice");
  EXPECT_FALSE(result.anonymous);
  EXPECT_EQ(result.why.find("alice-pw"), std::string::npos);
}

TEST_F(AuthorityTest, WrongPasswordAndUnknownUserGetTheSameReasonCode) {
  const auto wrong = authority_.login(password_login("alice", "nope-secret"));
  const auto unknown = authority_.login(password_login("mallory", "nope-secret"));
  EXPECT_EQ(wrong.reason, ReasonCode::bad_user_name_or_password);
  EXPECT_EQ(unknown.reason, ReasonCode::bad_user_name_or_password);
  EXPECT_EQ(wrong.why.find("nope-secret"), std::string::npos);
  EXPECT_EQ(unknown.why.find("nope-secret"), std::string::npos);
  EXPECT_FALSE(wrong.why.empty());
  // A refused login establishes no identity.
  EXPECT_EQ(wrong.principal, "");
  EXPECT_EQ(unknown.principal, "");
  EXPECT_FALSE(wrong.anonymous);
}

TEST_F(AuthorityTest, WhyEscapesControlCharactersInAClaimedUserName) {
  const auto result = authority_.login(password_login("evil\nFAKE LOG LINE\"", "x"));
  EXPECT_EQ(result.reason, ReasonCode::bad_user_name_or_password);
  EXPECT_EQ(result.why.find('\n'), std::string::npos) << result.why;
  EXPECT_NE(result.why.find("\\x0a"), std::string::npos) << result.why;
}

TEST_F(AuthorityTest, RefusesAUserNameWithoutPassword) {
  LoginRequest request = password_login("alice", "");
  request.password.reset();
  EXPECT_EQ(authority_.login(request).reason, ReasonCode::bad_user_name_or_password);
}

TEST_F(AuthorityTest, RefusesAPasswordLoginForACertificateOnlyUser) {
  const auto result = authority_.login(password_login("plc-node", ""));
  EXPECT_EQ(result.reason, ReasonCode::bad_user_name_or_password);
}

// CPU time of the calling thread: what a login costs, whatever else the machine is running
// (wall-clock time on a loaded CI machine once made one path look twice the other).
std::chrono::nanoseconds thread_cpu_time() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

TEST(AuthorityTiming, UnknownUserCostsAsMuchAsAWrongPassword) {
  // Against a default-strength hash both paths run one full PBKDF2; compared in thread CPU time,
  // best of three runs each.
  Authority authority(AuthoritySettings{});
  PolicyData data;
  UserRecord alice;
  alice.name = "alice";
  alice.password_hash = hash_password("right");
  data.users = {alice};
  ASSERT_TRUE(authority.update(data).has_value());
  auto best_of_three = [&](std::string_view name) {
    auto best = std::chrono::nanoseconds::max();
    for (int i = 0; i < 3; ++i) {
      const auto start = thread_cpu_time();
      EXPECT_EQ(authority.login(password_login(name, "wrong")).reason,
                ReasonCode::bad_user_name_or_password);
      best = std::min(best, thread_cpu_time() - start);
    }
    return best;
  };
  const auto wrong_password = best_of_three("alice");
  const auto unknown_user = best_of_three("mallory");
  EXPECT_GT(unknown_user * 2, wrong_password);
  EXPECT_GT(wrong_password * 2, unknown_user);
}

// --- certificates ----------------------------------------------------------------------------

TEST_F(AuthorityTest, CertificateAloneIdentifiesAPrincipalThatNeedNotBeAStoredUser) {
  const auto result = authority_.login(certificate_login("device-17"));
  EXPECT_EQ(result.reason, ReasonCode::success);
  EXPECT_EQ(result.principal, "device-17");
  EXPECT_FALSE(result.anonymous);
}

TEST_F(AuthorityTest, CertificateWithTheSameUserNameIsAccepted) {
  LoginRequest request = certificate_login("alice");
  request.username = "alice";
  EXPECT_EQ(authority_.login(request).reason, ReasonCode::success);
}

TEST_F(AuthorityTest, UserNameDifferentFromTheCertificateIsRefused) {
  LoginRequest request = certificate_login("alice");
  request.username = "bob";
  request.password = "bob-pw";
  const auto result = authority_.login(request);
  EXPECT_EQ(result.reason, ReasonCode::bad_user_name_or_password);
  EXPECT_EQ(result.why.find("bob-pw"), std::string::npos);
}

TEST_F(AuthorityTest, CertificateWithEmptyIdentityIsRefused) {
  const auto result = authority_.login(certificate_login(""));
  EXPECT_EQ(result.reason, ReasonCode::not_authorized);
  EXPECT_FALSE(result.anonymous);
}

TEST_F(AuthorityTest, RequirePasswordAcceptsCertificatePlusMatchingUserAndPassword) {
  LoginRequest request = certificate_login("alice");
  request.require_password = true;
  request.username = "alice";
  request.password = "alice-pw";
  const auto result = authority_.login(request);
  EXPECT_EQ(result.reason, ReasonCode::success);
  EXPECT_EQ(result.principal, "alice");
}

TEST_F(AuthorityTest, RequirePasswordRefusesCertificateAlone) {
  LoginRequest request = certificate_login("alice");
  request.require_password = true;
  // Missing credentials, as for an anonymous client: not authorized (0x87 / 3.1.1 0x05).
  EXPECT_EQ(authority_.login(request).reason, ReasonCode::not_authorized);
}

TEST_F(AuthorityTest, PasswordSentWithACertificateMustBeRightEvenWhenNotRequired) {
  LoginRequest request = certificate_login("alice");
  request.username = "alice";
  request.password = "bob-pw";
  EXPECT_EQ(authority_.login(request).reason, ReasonCode::bad_user_name_or_password);
}

TEST_F(AuthorityTest, RequirePasswordRefusesAWrongPassword) {
  LoginRequest request = certificate_login("alice");
  request.require_password = true;
  request.username = "alice";
  request.password = "bob-pw";
  EXPECT_EQ(authority_.login(request).reason, ReasonCode::bad_user_name_or_password);
}

TEST_F(AuthorityTest, RequirePasswordRefusesACertificateThatIsNoStoredUser) {
  LoginRequest request = certificate_login("device-17");
  request.require_password = true;
  request.username = "device-17";
  request.password = "anything";
  EXPECT_EQ(authority_.login(request).reason, ReasonCode::bad_user_name_or_password);
}

// --- anonymous -------------------------------------------------------------------------------

TEST_F(AuthorityTest, AnonymousIsAcceptedWhereTheListenerAllowsIt) {
  LoginRequest request;
  request.client_id = "anon-1";
  request.allow_anonymous = true;
  const auto result = authority_.login(request);
  EXPECT_EQ(result.reason, ReasonCode::success);
  EXPECT_TRUE(result.anonymous);
  EXPECT_EQ(result.principal, "");
}

TEST_F(AuthorityTest, AnonymousIsRefusedWhereTheListenerDoesNotAllowIt) {
  LoginRequest request;
  request.client_id = "anon-1";
  const auto result = authority_.login(request);
  EXPECT_EQ(result.reason, ReasonCode::not_authorized);
  EXPECT_EQ(result.why, "anonymous access is not enabled on this listener");
}

// --- client-id binding -----------------------------------------------------------------------

TEST(AuthorityBinding, BrokerPatternBindsClientIdsToTheUser) {
  Authority authority(AuthoritySettings{Effect::deny, "%u-*"});
  PolicyData data;
  data.users = {user("alice", "pw")};
  ASSERT_TRUE(authority.update(data).has_value());
  EXPECT_EQ(authority.login(password_login("alice", "pw", "alice-1")).reason, ReasonCode::success);
  const auto refused = authority.login(password_login("alice", "pw", "bob-1"));
  EXPECT_EQ(refused.reason, ReasonCode::client_identifier_not_valid);
  EXPECT_NE(refused.why.find("%u-*"), std::string::npos);
  // Certificates are bound the same way.
  EXPECT_EQ(authority.login(certificate_login("dev", "dev-9")).reason, ReasonCode::success);
  EXPECT_EQ(authority.login(certificate_login("dev", "alice-1")).reason,
            ReasonCode::client_identifier_not_valid);
}

TEST(AuthorityBinding, AssignedClientIdsAreAlwaysAccepted) {
  Authority authority(AuthoritySettings{Effect::deny, "%u-*"});
  PolicyData data;
  data.users = {user("alice", "pw")};
  ASSERT_TRUE(authority.update(data).has_value());
  LoginRequest request = password_login("alice", "pw", "auto-3F2A");
  request.client_id_assigned = true;
  EXPECT_EQ(authority.login(request).reason, ReasonCode::success);
}

TEST(AuthorityBinding, TheUsersOwnPatternWinsOverTheBrokerPattern) {
  Authority authority(AuthoritySettings{Effect::deny, "%u-*"});
  PolicyData data;
  data.users = {user("alice", "pw", {}, "sensor-*")};
  ASSERT_TRUE(authority.update(data).has_value());
  EXPECT_EQ(authority.login(password_login("alice", "pw", "sensor-4")).reason, ReasonCode::success);
  EXPECT_EQ(authority.login(password_login("alice", "pw", "alice-1")).reason,
            ReasonCode::client_identifier_not_valid);
}

TEST(AuthorityBinding, AnonymousClientsCannotMatchAUserPattern) {
  LoginRequest request;
  request.client_id = "-1";
  request.allow_anonymous = true;
  Authority bound(AuthoritySettings{Effect::deny, "%u-*"});
  EXPECT_EQ(bound.login(request).reason, ReasonCode::client_identifier_not_valid);
  Authority unbound(AuthoritySettings{Effect::deny, ""});
  EXPECT_EQ(unbound.login(request).reason, ReasonCode::success);
}

// --- the verified-login cache ----------------------------------------------------------------

TEST(AuthorityCache, ASecondLoginWithTheSamePasswordSkipsTheHash) {
  Authority authority(AuthoritySettings{});
  PolicyData data;
  UserRecord alice;
  alice.name = "alice";
  alice.password_hash = hash_password("pw");  // default strength: a miss is clearly visible
  data.users = {alice};
  ASSERT_TRUE(authority.update(data).has_value());

  auto start = Clock::now();
  ASSERT_EQ(authority.login(password_login("alice", "pw")).reason, ReasonCode::success);
  const auto first = Clock::now() - start;
  auto best_hit = Clock::duration::max();
  for (int i = 0; i < 3; ++i) {
    start = Clock::now();
    ASSERT_EQ(authority.login(password_login("alice", "pw")).reason, ReasonCode::success);
    best_hit = std::min(best_hit, Clock::now() - start);
  }
  EXPECT_LT(best_hit * 10, first);
  // A wrong password is never served from the cache.
  EXPECT_EQ(authority.login(password_login("alice", "px")).reason,
            ReasonCode::bad_user_name_or_password);
}

TEST_F(AuthorityTest, APasswordChangeInvalidatesTheCachedLogin) {
  ASSERT_EQ(authority_.login(password_login("alice", "alice-pw")).reason, ReasonCode::success);
  data_.users[0].password_hash = hash_password("new-pw", kMinIterations);
  load();
  EXPECT_EQ(authority_.login(password_login("alice", "alice-pw")).reason,
            ReasonCode::bad_user_name_or_password);
  EXPECT_EQ(authority_.login(password_login("alice", "new-pw")).reason, ReasonCode::success);
}

TEST_F(AuthorityTest, ARemovedUserCannotLogInFromTheCache) {
  ASSERT_EQ(authority_.login(password_login("bob", "bob-pw")).reason, ReasonCode::success);
  data_.users.erase(data_.users.begin() + 1);
  load();
  EXPECT_EQ(authority_.login(password_login("bob", "bob-pw")).reason,
            ReasonCode::bad_user_name_or_password);
}

TEST_F(AuthorityTest, ConcurrentLoginsShareTheCacheSafely) {
  // Several workers log in at once while the store changes; run under TSan for data races.
  std::atomic<int> successes{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (authority_.login(password_login("alice", "alice-pw")).reason == ReasonCode::success) {
          successes.fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < 20; ++i) load();
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(successes.load(), 150);
}

}  // namespace
}  // namespace arkmq::acl::authority_test
