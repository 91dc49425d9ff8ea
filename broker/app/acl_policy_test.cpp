// AclPolicy (acl::Authority behind the core's interfaces) and PolicyWatcher (the store polled,
// reloaded, removed users disconnected), against a real Authority and a ConfigStore file.
#include <cstdlib>
#include <filesystem>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "acl/password_hash.hpp"
#include "broker/app/acl_policy.hpp"
#include "broker/app/policy_watcher.hpp"
#include "broker/app/config_store_pair.hpp"
#include "broker/app/run_io_until.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::app {
namespace {

using namespace std::chrono_literals;
using protocol::ReasonCode;

const std::string kAliceHash = acl::hash_password("alice-pw", acl::kMinIterations);

acl::UserRecord user(const std::string& name, const std::string& pattern = "") {
  return acl::UserRecord{name, name == "alice" ? kAliceHash : acl::hash_password(name + "-pw", acl::kMinIterations),
                         {}, pattern};
}

acl::Rule allow(const std::string& who, acl::ActionSet actions, const std::string& topic) {
  acl::Rule rule;
  rule.subject = acl::Subject::user;
  rule.subject_value = who;
  rule.actions = actions;
  rule.topic = topic;
  rule.effect = acl::Effect::allow;
  return rule;
}

core::ConnectionInfo listener_info(bool allow_anonymous = false) {
  core::ConnectionInfo info;
  info.peer = "127.0.0.1:5000";
  info.listener = "mqtt://127.0.0.1:1883";
  info.policy.allow_anonymous = allow_anonymous;
  return info;
}

class AclPolicyTest : public ::testing::Test {
 protected:
  void make(acl::AuthoritySettings settings = {}) {
    authority = std::make_shared<acl::Authority>(settings);
    acl::PolicyData data;
    data.users = {user("alice"), user("bob")};
    data.rules = {allow("alice", static_cast<acl::ActionSet>(acl::Action::publish), "a/#")};
    ASSERT_TRUE(authority->update(data));
    policy = std::make_unique<AclPolicy>(authority);
  }

  std::shared_ptr<acl::Authority> authority;
  std::unique_ptr<AclPolicy> policy;
};

TEST_F(AclPolicyTest, PasswordLoginGivesTheUserAsPrincipal) {
  make();
  const std::string_view password = "alice-pw";
  const auto result = policy->authenticate(listener_info(), {"c1", "alice", password, false});
  EXPECT_EQ(result.reason, ReasonCode::success);
  EXPECT_EQ(result.principal, "alice");
}

TEST_F(AclPolicyTest, WrongPasswordIsRefusedWithAReasonThatHoldsNoPassword) {
  make();
  const std::string_view password = "guess-123";
  const auto result = policy->authenticate(listener_info(), {"c1", "alice", password, false});
  EXPECT_EQ(result.reason, ReasonCode::bad_user_name_or_password);
  EXPECT_FALSE(result.why.empty());
  EXPECT_EQ(result.why.find("guess-123"), std::string::npos);
}

TEST_F(AclPolicyTest, AnonymousClientFollowsTheListenersSetting) {
  make();
  const auto open = policy->authenticate(listener_info(true), {"c1", std::nullopt, std::nullopt, false});
  EXPECT_EQ(open.reason, ReasonCode::success);
  EXPECT_EQ(open.principal, "");
  const auto closed = policy->authenticate(listener_info(false), {"c1", std::nullopt, std::nullopt, false});
  EXPECT_NE(closed.reason, ReasonCode::success);
}

TEST_F(AclPolicyTest, CertificatePrincipalIsPassedOn) {
  make();
  core::ConnectionInfo info = listener_info();
  info.tls = true;
  info.certificate_principal = "bob";
  const auto result = policy->authenticate(info, {"c1", std::nullopt, std::nullopt, false});
  EXPECT_EQ(result.reason, ReasonCode::success);
  EXPECT_EQ(result.principal, "bob");
}

TEST_F(AclPolicyTest, AssignedClientIdPassesTheClientIdBinding) {
  acl::AuthoritySettings settings;
  settings.client_id_pattern = "%u-*";
  make(settings);
  const std::string_view password = "alice-pw";
  EXPECT_EQ(policy->authenticate(listener_info(), {"other", "alice", password, false}).reason,
            ReasonCode::client_identifier_not_valid);
  EXPECT_EQ(policy->authenticate(listener_info(), {"arkmq-00ff", "alice", password, true}).reason,
            ReasonCode::success);
}

TEST_F(AclPolicyTest, ActionsMapToTheRules) {
  make();
  EXPECT_EQ(policy->authorize({"alice", "c1", core::Action::publish, "a/b"}), core::Decision::allow);
  EXPECT_EQ(policy->authorize({"alice", "c1", core::Action::subscribe, "a/b"}), core::Decision::deny);
  EXPECT_EQ(policy->authorize({"alice", "c1", core::Action::receive, "a/b"}), core::Decision::deny);
  EXPECT_EQ(policy->authorize({"bob", "c2", core::Action::publish, "a/b"}), core::Decision::deny);
  EXPECT_EQ(policy->authorize({"", "c3", core::Action::publish, "a/b"}), core::Decision::deny);
}

TEST_F(AclPolicyTest, DefaultAllowAppliesWhenNoRuleMatches) {
  acl::AuthoritySettings settings;
  settings.default_effect = acl::Effect::allow;
  make(settings);
  EXPECT_EQ(policy->authorize({"bob", "c2", core::Action::subscribe, "x/y"}), core::Decision::allow);
}

TEST(PolicyReloadedLine, IsTheLineOperatorsWaitFor) {
  EXPECT_EQ(policy_reloaded_line(3, 2, 1), "policy reloaded: generation 3, 2 rules, 1 users");
}

// A config database in a fresh directory, a second connection to it ("arkmqctl"), and a broker
// whose policy the watcher keeps current.
class PolicyWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(stores.open("watcher"), "");

    authority = std::make_shared<acl::Authority>(acl::AuthoritySettings{});
    auto policy = std::make_shared<AclPolicy>(authority);
    core::BrokerConfig config;
    config.sys_interval = 0s;
    broker = std::make_unique<core::Broker>(config, policy, policy);
    watcher = std::make_unique<PolicyWatcher>(
        PolicyWatcher::Params{context, *store, *authority, *broker, 10ms});
    ASSERT_EQ(watcher->reload(), "");
  }

  void TearDown() override {
    watcher.reset();
    stores.close();
  }

  // Runs the main loop until `done()` (at most 5 s); returns done().
  template <typename Condition>
  bool run_until(Condition done) {
    return test::run_io_until(context, done);
  }
  bool run_until_generation(std::uint64_t generation) {
    return run_until([&] { return authority->generation() >= generation; });
  }

  const storage::ChangeContext who{"test", "user add"};
  asio::io_context context;
  test::ConfigStorePair stores;
  std::optional<storage::ConfigStore>& store = stores.store;
  std::optional<storage::ConfigStore>& admin = stores.admin;
  std::shared_ptr<acl::Authority> authority;
  std::unique_ptr<core::Broker> broker;
  std::unique_ptr<PolicyWatcher> watcher;
};

TEST_F(PolicyWatcherTest, ChangeCommittedByAnotherConnectionIsLoaded) {
  EXPECT_EQ(authority->generation(), 1U);
  watcher->start();
  ASSERT_TRUE(admin->add_user(user("alice"), who));
  ASSERT_TRUE(admin->add_rule(allow("alice", acl::kAllActions, "a/#"), who));
  // The two commits may be seen as one change or two.
  EXPECT_TRUE(run_until([&] {
    return authority->check("alice", "c1", acl::Action::publish, "a/b") == acl::Effect::allow;
  }));
  EXPECT_GE(authority->generation(), 2U);
}

TEST_F(PolicyWatcherTest, RemovedUserIsDisconnected) {
  ASSERT_TRUE(admin->add_user(user("bob"), who));
  ASSERT_EQ(watcher->reload(), "");
  const std::uint64_t loaded = authority->generation();
  // A connected client of bob: the core's scripted test client, logging in through AclPolicy.
  core::test::TestClient bob(*broker, protocol::ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "bob-1";
  connect.username = "bob";
  connect.password = std::string("bob-pw");
  ASSERT_EQ(bob.connect(connect).reason, ReasonCode::success);
  watcher->start();
  ASSERT_TRUE(admin->remove_user("bob", {"test", "user remove"}));
  ASSERT_TRUE(run_until_generation(loaded + 1));
  const auto disconnects = bob.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::not_authorized);
  EXPECT_TRUE(bob.closed());
  EXPECT_EQ(broker->stats().clients_connected, 0U);
}

TEST_F(PolicyWatcherTest, NoChangeMeansNoReload) {
  watcher->start();
  context.run_for(100ms);
  EXPECT_EQ(authority->generation(), 1U);
}

}  // namespace
}  // namespace arkmq::app
