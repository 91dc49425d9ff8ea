#include "acl/authority.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "acl/authority_test_support.hpp"
#include "acl/service_topics.hpp"

namespace arkmq::acl::authority_test {
namespace {

// --- update ----------------------------------------------------------------------------------

TEST_F(AuthorityTest, UpdateReturnsTheUsersThatWereRemoved) {
  data_.users = {user("alice", "alice-pw", {"ops"}), user("carol", "carol-pw")};
  const auto removed = authority_.update(data_);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(*removed, (std::vector<std::string>{"bob", "plc-node"}));
  const auto none = authority_.update(data_);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST_F(AuthorityTest, UpdateBumpsTheGeneration) {
  const auto before = authority_.generation();
  load();
  EXPECT_EQ(authority_.generation(), before + 1);
}

TEST_F(AuthorityTest, ABadRuleKeepsTheOldSnapshot) {
  const auto generation = authority_.generation();
  PolicyData bad = data_;
  bad.users.clear();
  bad.rules.push_back(rule(42, Subject::anyone, "", kPublish, "a/#/b", Effect::allow));
  const auto result = authority_.update(bad);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("42"), std::string::npos) << result.error();
  EXPECT_EQ(authority_.generation(), generation);
  // Old users and rules still apply.
  EXPECT_EQ(authority_.login(password_login("alice", "alice-pw")).reason, ReasonCode::success);
  EXPECT_EQ(authority_.check("alice", "c1", Action::publish, "plant/line1"), Effect::allow);
}

TEST_F(AuthorityTest, DuplicateUserNamesAreRefused) {
  PolicyData bad = data_;
  bad.users.push_back(user("alice", "other"));
  EXPECT_FALSE(authority_.update(bad).has_value());
  EXPECT_EQ(authority_.login(password_login("alice", "alice-pw")).reason, ReasonCode::success);
}

// --- decisions -------------------------------------------------------------------------------

TEST_F(AuthorityTest, CheckGrantsThroughTheUsersRoles) {
  EXPECT_EQ(authority_.check("alice", "c1", Action::publish, "plant/line1"), Effect::allow);
  EXPECT_EQ(authority_.check("bob", "c1", Action::publish, "plant/line1"), Effect::deny);
  EXPECT_EQ(authority_.check("", "c1", Action::publish, "plant/line1"), Effect::deny);
  // A certificate principal that is not a stored user has no roles.
  EXPECT_EQ(authority_.check("device-17", "c1", Action::publish, "plant/line1"), Effect::deny);
}

TEST_F(AuthorityTest, CheckSeesRoleChangesAfterUpdate) {
  data_.users[1].roles = {"ops"};
  load();
  EXPECT_EQ(authority_.check("bob", "c1", Action::publish, "plant/line1"), Effect::allow);
}

TEST_F(AuthorityTest, AnonymousClientsMatchOnlyAnonymousRules) {
  data_.rules.push_back(rule(2, Subject::anonymous, "", kPublish, "public/#", Effect::allow));
  data_.rules.push_back(rule(3, Subject::anyone, "", kPublish, "members/#", Effect::allow));
  load();
  EXPECT_EQ(authority_.check("", "c1", Action::publish, "public/x"), Effect::allow);
  EXPECT_EQ(authority_.check("", "c1", Action::publish, "members/x"), Effect::deny);
  EXPECT_EQ(authority_.check("bob", "c1", Action::publish, "members/x"), Effect::allow);
}

TEST_F(AuthorityTest, ExplainNamesTheDecidingRuleAndTheOthersThatMatched) {
  data_.rules.push_back(rule(7, Subject::user, "alice", kPublish, "plant/%u/#", Effect::deny, 5));
  load();
  const auto explanation =
      authority_.explain("alice", false, "c1", Action::publish, "plant/alice/x");
  EXPECT_EQ(explanation.effect, Effect::deny);
  ASSERT_TRUE(explanation.rule.has_value());
  EXPECT_EQ(explanation.rule->id, 7);
  EXPECT_EQ(explanation.substituted_topic, "plant/alice/#");
  EXPECT_FALSE(explanation.why.empty());
  ASSERT_EQ(explanation.also_matched.size(), 1u);
  EXPECT_EQ(explanation.also_matched[0].id, 1);
}

TEST_F(AuthorityTest, ExplainSubstitutesTheClientIdAndTheRoleThatMatched) {
  data_.users[0].roles = {"dev", "ops"};
  data_.rules.push_back(rule(8, Subject::anonymous, "", kPublish, "public/%c/#", Effect::allow));
  data_.rules.push_back(rule(9, Subject::anyone, "", kPublish, "teams/%r/+", Effect::allow));
  load();
  const auto anonymous = authority_.explain("", true, "anon-1", Action::publish, "public/anon-1/x");
  EXPECT_EQ(anonymous.effect, Effect::allow);
  EXPECT_EQ(anonymous.substituted_topic, "public/anon-1/#");
  const auto by_role = authority_.explain("alice", false, "c1", Action::publish, "teams/ops/x");
  EXPECT_EQ(by_role.effect, Effect::allow);
  ASSERT_TRUE(by_role.rule.has_value());
  EXPECT_EQ(by_role.rule->id, 9);
  EXPECT_EQ(by_role.substituted_topic, "teams/ops/+");
}

TEST_F(AuthorityTest, ExplainWithoutAMatchingRuleGivesTheDefault) {
  const auto explanation = authority_.explain("bob", false, "c1", Action::publish, "plant/x");
  EXPECT_EQ(explanation.effect, Effect::deny);
  EXPECT_FALSE(explanation.rule.has_value());
  EXPECT_TRUE(explanation.also_matched.empty());
  EXPECT_TRUE(explanation.substituted_topic.empty());
  EXPECT_FALSE(explanation.why.empty());
}

TEST_F(AuthorityTest, ExplainNamesTheServiceGrantBehindADecision) {
  CallGrant grant;
  grant.id = 3;
  grant.subject = Subject::role;
  grant.subject_value = "ops";
  grant.service = "plc";
  grant.method = "read";
  data_.call_grants = {grant};
  load();
  const std::string topic = call_topic("plc", "read");
  EXPECT_EQ(authority_.check("alice", "c1", Action::publish, topic), Effect::allow);
  EXPECT_EQ(authority_.check("bob", "c1", Action::publish, topic), Effect::deny);
  const auto explanation = authority_.explain("alice", false, "c1", Action::publish, topic);
  EXPECT_EQ(explanation.effect, Effect::allow);
  ASSERT_TRUE(explanation.rule.has_value());
  EXPECT_EQ(explanation.rule->id, 3);
  EXPECT_NE(explanation.rule->origin.find("call grant 3"), std::string::npos)
      << explanation.rule->origin;
  EXPECT_NE(explanation.why.find("call grant 3"), std::string::npos) << explanation.why;
}

TEST_F(AuthorityTest, ChecksRunWhileTheSnapshotIsReplaced) {
  // Readers copy the snapshot pointer; an update in between must never leave them a dangling
  // policy. Bounded by count; run under TSan for the data-race half of the claim.
  constexpr int kChecks = 2'000;
  std::atomic<bool> done{false};
  std::atomic<int> allowed{0};
  std::thread reader([&] {
    for (int i = 0; i < kChecks; ++i) {
      if (authority_.check("alice", "c1", Action::publish, "plant/x") == Effect::allow) {
        allowed.fetch_add(1);
      }
    }
    done.store(true);
  });
  // Replace the snapshot for as long as the reader runs (bounded by count and time).
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  int updates = 0;
  do {
    load();
    ++updates;
  } while (!done.load() && updates < 100'000 && Clock::now() < deadline);
  reader.join();
  EXPECT_EQ(allowed.load(), kChecks);  // every snapshot grants it: no torn or missing state
}

}  // namespace
}  // namespace arkmq::acl::authority_test
