// CompiledPolicy: subjects (user, role, client glob, anyone, anonymous) and %u %c %r substitution.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "acl/policy.hpp"
#include "acl/policy_test_support.hpp"

namespace arkmq::acl {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): terse builders in tests

TEST(CompiledPolicy, AUserRuleMatchesOnlyThatUser) {
  const auto policy = compiled({allow(1, Subject::user, "alice", "a")});
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "a"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("bob"), Action::publish, "a"), Effect::deny);
  EXPECT_EQ(effect_of(policy, anonymous(), Action::publish, "a"), Effect::deny);
}

TEST(CompiledPolicy, ARoleRuleMatchesAnyRoleOfThePrincipal) {
  const auto policy = compiled({allow(1, Subject::role, "ops", "a")});
  EXPECT_EQ(effect_of(policy, user("alice", {"viewers", "ops"}), Action::publish, "a"),
            Effect::allow);
  EXPECT_EQ(effect_of(policy, user("bob", {"viewers"}), Action::publish, "a"), Effect::deny);
  EXPECT_EQ(effect_of(policy, user("ops"), Action::publish, "a"), Effect::deny);
}

TEST(CompiledPolicy, ARoleListedTwiceReportsItsRulesOnce) {
  const auto policy = compiled({allow(1, Subject::role, "ops", "a")});
  const auto who = user("alice", {"ops", "ops"});
  EXPECT_EQ(policy.matching_rules(who.principal(), Action::publish, "a").size(), 1u);
}

TEST(CompiledPolicy, AClientRuleMatchesTheClientIdAgainstItsGlob) {
  const auto policy = compiled(
      {allow(1, Subject::client, "sensor-*", "a"), allow(2, Subject::client, "%u-*-x", "b"),
       allow(3, Subject::client, "exact", "c"), allow(4, Subject::client, "*mid*dle*", "d")});
  EXPECT_EQ(effect_of(policy, user("u", {}, "sensor-7"), Action::publish, "a"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("u", {}, "sensor-"), Action::publish, "a"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("u", {}, "actuator-7"), Action::publish, "a"), Effect::deny);
  EXPECT_EQ(effect_of(policy, user("alice", {}, "alice-1-x"), Action::publish, "b"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("bob", {}, "alice-1-x"), Action::publish, "b"), Effect::deny);
  EXPECT_EQ(effect_of(policy, user("alice", {}, "alice-1-y"), Action::publish, "b"), Effect::deny);
  EXPECT_EQ(effect_of(policy, user("u", {}, "exact"), Action::publish, "c"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("u", {}, "exactly"), Action::publish, "c"), Effect::deny);
  EXPECT_EQ(effect_of(policy, user("u", {}, "amiddle"), Action::publish, "d"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("u", {}, "middle"), Action::publish, "d"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("u", {}, "midle"), Action::publish, "d"), Effect::deny);
}

TEST(CompiledPolicy, AClientRuleDoesNotApplyToAnonymousClients) {
  const auto policy = compiled({allow(1, Subject::client, "*", "a")});
  EXPECT_EQ(effect_of(policy, user("alice", {}, "c1"), Action::publish, "a"), Effect::allow);
  EXPECT_EQ(effect_of(policy, anonymous("c1"), Action::publish, "a"), Effect::deny);
}

TEST(CompiledPolicy, AnyoneMeansEveryAuthenticatedPrincipalButNotAnonymous) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "a")});
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "a"), Effect::allow);
  EXPECT_EQ(effect_of(policy, anonymous(), Action::publish, "a"), Effect::deny);
}

TEST(CompiledPolicy, AnonymousRulesApplyOnlyToAnonymousClients) {
  const auto policy = compiled({allow(1, Subject::anonymous, "", "public/#")});
  EXPECT_EQ(effect_of(policy, anonymous(), Action::publish, "public/x"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "public/x"), Effect::deny);
  // An anonymous principal with a name and roles still counts as anonymous only.
  Identity odd = anonymous();
  odd.name = "alice";
  odd.roles = {"ops"};
  const auto named =
      compiled({allow(1, Subject::user, "alice", "a"), allow(2, Subject::role, "ops", "a")});
  EXPECT_EQ(effect_of(named, odd, Action::publish, "a"), Effect::deny);
}

TEST(CompiledPolicy, TenThousandPerUserRulesOnOneFilterStillPickTheRightUser) {
  std::vector<Rule> rules;
  for (int i = 0; i < 10'000; ++i) {
    rules.push_back(allow(i + 1, Subject::user, "user" + std::to_string(i), "home/%u/#"));
  }
  const auto policy = compiled(std::move(rules));
  EXPECT_EQ(effect_of(policy, user("user1234"), Action::publish, "home/user1234/x"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("user1234"), Action::publish, "home/user1235/x"), Effect::deny);
  const auto matched =
      policy.matching_rules(user("user9999").principal(), Action::publish, "home/user9999/x");
  ASSERT_EQ(matched.size(), 1u);
  EXPECT_EQ(matched.front()->id, 10'000);
}

TEST(CompiledPolicy, UserPlaceholderStandsForThePrincipalNameAsOneLevel) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "home/%u/#")});
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "home/alice/lamp"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "home/alice"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "home/bob/lamp"), Effect::deny);
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "home/%u/lamp"), Effect::deny);
}

TEST(CompiledPolicy, ClientAndRolePlaceholdersStandForTheClientIdAndAnyRole) {
  const auto policy = compiled(
      {allow(1, Subject::anyone, "", "dev/%c/out"), allow(2, Subject::anyone, "", "team/%r/#")});
  const auto who = user("alice", {"ops", "qa"}, "c-17");
  EXPECT_EQ(effect_of(policy, who, Action::publish, "dev/c-17/out"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "dev/c-18/out"), Effect::deny);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "team/ops/x"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "team/qa"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "team/dev/x"), Effect::deny);
}

TEST(CompiledPolicy, WildcardCharactersInANameDoNotWidenAnAllowRule) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "home/%u/#"),
                                allow(2, Subject::anyone, "", "dev/%c/#"),
                                allow(3, Subject::anyone, "", "team/%r/x")});
  for (const char* name : {"+", "#", "a/b", ""}) {
    const auto who = user(name, {name}, name);
    EXPECT_EQ(effect_of(policy, who, Action::publish, "home/bob/x"), Effect::deny) << name;
    EXPECT_EQ(effect_of(policy, who, Action::subscribe, "home/+/x"), Effect::deny) << name;
    EXPECT_EQ(effect_of(policy, who, Action::publish, "dev/other/x"), Effect::deny) << name;
    EXPECT_EQ(effect_of(policy, who, Action::publish, "team/ops/x"), Effect::deny) << name;
  }
  // "a/b" as a name is never the two levels a and b.
  EXPECT_EQ(effect_of(policy, user("a/b", {}, "a/b"), Action::publish, "home/a/b/x"), Effect::deny);
  EXPECT_EQ(effect_of(policy, user("a/b", {}, "a/b"), Action::publish, "dev/a/b"), Effect::deny);
}

TEST(CompiledPolicy, WildcardCharactersInANameWidenADenyRuleToPlus) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "home/#"),
                                deny(2, Subject::anyone, "", "home/%u/secret"),
                                deny(3, Subject::anyone, "", "home/%c/private")});
  for (const char* name : {"+", "#", "a/b", ""}) {
    const auto who = user(name, {}, name);
    EXPECT_EQ(effect_of(policy, who, Action::publish, "home/bob/secret"), Effect::deny) << name;
    EXPECT_EQ(effect_of(policy, who, Action::publish, "home/bob/private"), Effect::deny) << name;
    EXPECT_EQ(effect_of(policy, who, Action::publish, "home/bob/open"), Effect::allow) << name;
    // Widened to `+`, not to `#`: one level only.
    EXPECT_EQ(effect_of(policy, who, Action::publish, "home/a/b/secret"), Effect::allow) << name;
  }
  EXPECT_EQ(effect_of(policy, user("alice", {}, "c1"), Action::publish, "home/bob/secret"),
            Effect::allow);
  EXPECT_EQ(effect_of(policy, user("alice", {}, "c1"), Action::publish, "home/alice/secret"),
            Effect::deny);
}

TEST(CompiledPolicy, AnonymousClientsHaveNoUserPlaceholder) {
  const auto policy = compiled({allow(1, Subject::anonymous, "", "home/%u/#"),
                                allow(2, Subject::anonymous, "", "pub/#"),
                                deny(3, Subject::anonymous, "", "pub/%u/secret"),
                                allow(4, Subject::anonymous, "", "dev/%c")});
  const auto anon = anonymous("c9");
  EXPECT_EQ(effect_of(policy, anon, Action::publish, "home/x/y"), Effect::deny);
  EXPECT_EQ(effect_of(policy, anon, Action::publish, "home//y"), Effect::deny);
  EXPECT_EQ(effect_of(policy, anon, Action::publish, "pub/anyone/secret"), Effect::deny);
  EXPECT_EQ(effect_of(policy, anon, Action::publish, "pub/anyone/open"), Effect::allow);
  EXPECT_EQ(effect_of(policy, anon, Action::publish, "dev/c9"), Effect::allow);
}

TEST(CompiledPolicy, ARoleThatCannotBeALevelWidensADenyRoleRuleButNotAnAllow) {
  const auto policy = compiled(
      {allow(1, Subject::anyone, "", "team/#"), deny(2, Subject::anyone, "", "team/%r/secret")});
  EXPECT_EQ(effect_of(policy, user("a", {"ops"}), Action::publish, "team/qa/secret"),
            Effect::allow);
  EXPECT_EQ(effect_of(policy, user("a", {"ops"}), Action::publish, "team/ops/secret"),
            Effect::deny);
  EXPECT_EQ(effect_of(policy, user("a", {"ops", "x/y"}), Action::publish, "team/qa/secret"),
            Effect::deny);
  // No roles at all: the deny has nothing to narrow it, so it reads as `+`.
  EXPECT_EQ(effect_of(policy, user("a"), Action::publish, "team/qa/secret"), Effect::deny);
}

}  // namespace
}  // namespace arkmq::acl
