// Shared fixtures for the Authority tests: users with fast (minimum-strength) hashes, rules,
// login requests. Test-only; single-threaded set-up.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "acl/authority.hpp"
#include "acl/password_hash.hpp"

// Not an anonymous namespace: the fixture is one type across the test files sharing its suite.
namespace arkmq::acl::authority_test {

using protocol::ReasonCode;
using Clock = std::chrono::steady_clock;

inline UserRecord user(std::string name, std::string_view password,
                       std::vector<std::string> roles = {}, std::string client_id_pattern = "") {
  UserRecord record;
  record.name = std::move(name);
  record.password_hash = password.empty() ? "" : hash_password(password, kMinIterations);
  record.roles = std::move(roles);
  record.client_id_pattern = std::move(client_id_pattern);
  return record;
}

inline Rule rule(std::int64_t id, Subject subject, std::string value, ActionSet actions,
                 std::string topic, Effect effect, std::int32_t priority = 0) {
  Rule r;
  r.id = id;
  r.subject = subject;
  r.subject_value = std::move(value);
  r.actions = actions;
  r.topic = std::move(topic);
  r.effect = effect;
  r.priority = priority;
  return r;
}

inline constexpr ActionSet kPublish = static_cast<ActionSet>(Action::publish);

inline LoginRequest password_login(std::string_view name, std::string_view password,
                                   std::string_view client_id = "c1") {
  LoginRequest request;
  request.client_id = client_id;
  request.username = name;
  request.password = password;
  return request;
}

inline LoginRequest certificate_login(std::string_view identity,
                                      std::string_view client_id = "c1") {
  LoginRequest request;
  request.client_id = client_id;
  request.certificate_principal = identity;
  return request;
}

class AuthorityTest : public ::testing::Test {
 protected:
  AuthorityTest() : authority_(AuthoritySettings{}) {
    data_.users = {user("alice", "alice-pw", {"ops"}), user("bob", "bob-pw"), user("plc-node", "")};
    data_.roles = {"ops"};
    data_.rules = {rule(1, Subject::role, "ops", kPublish, "plant/#", Effect::allow)};
    load();
  }

  void load() { ASSERT_TRUE(authority_.update(data_).has_value()); }

  PolicyData data_;
  Authority authority_;
};

}  // namespace arkmq::acl::authority_test
