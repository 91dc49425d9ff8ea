// CompiledPolicy: wildcard matching, `$` topics, priorities, defaults, compile errors.
#include "acl/policy.hpp"

#include <gtest/gtest.h>

#include "acl/policy_test_support.hpp"
#include "broker/protocol/topic_match_cases.hpp"

namespace arkmq::acl {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): terse builders in tests

TEST(CompiledPolicy, AgreesWithEveryRowOfTheSpecMatchingTable) {
  for (const auto& row : protocol::test::topic_match_cases) {
    const auto policy = compiled({allow(1, Subject::anyone, "", row.filter)});
    const auto who = user("alice");
    const auto verdict = policy.check(who.principal(), Action::receive, row.topic);
    EXPECT_EQ(verdict.effect == Effect::allow, row.matches)
        << "filter " << row.filter << " topic " << row.topic;
  }
}

TEST(CompiledPolicy, PlusMatchesExactlyOneLevel) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "plant/+/temp")});
  const auto who = user("alice");
  EXPECT_EQ(effect_of(policy, who, Action::publish, "plant/a/temp"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "plant//temp"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "plant/a/b/temp"), Effect::deny);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "plant/temp"), Effect::deny);
}

TEST(CompiledPolicy, HashMatchesTheParentLevelAndEverythingBelow) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "plant/#")});
  const auto who = user("alice");
  EXPECT_EQ(effect_of(policy, who, Action::publish, "plant"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "plant/a/b/c"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "plants"), Effect::deny);
}

TEST(CompiledPolicy, LiteralRulesMatchOnlyTheSameTopic) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "a/b/c/d/e/f")});
  const auto who = user("alice");
  EXPECT_EQ(effect_of(policy, who, Action::publish, "a/b/c/d/e/f"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "a/b/c/d/e"), Effect::deny);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "a/b/c/d/e/f/g"), Effect::deny);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "A/b/c/d/e/f"), Effect::deny);
}

TEST(CompiledPolicy, PublishToSysIsDeniedEvenWhenARuleAllowsIt) {
  const auto policy =
      compiled({allow(1, Subject::anyone, "", "$SYS/#", kAllActions, 100)}, Effect::allow);
  const auto verdict = policy.check(user("alice").principal(), Action::publish, "$SYS/x");
  EXPECT_EQ(verdict.effect, Effect::deny);
  EXPECT_EQ(verdict.why, "$SYS is read-only");
  EXPECT_EQ(verdict.rule, nullptr);
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "$SYS"), Effect::deny);
}

TEST(CompiledPolicy, PublishToOtherDollarTopicsIsAReservedTopic) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "$other/#")}, Effect::allow);
  const auto verdict = policy.check(user("alice").principal(), Action::publish, "$other/x");
  EXPECT_EQ(verdict.effect, Effect::deny);
  EXPECT_EQ(verdict.why, "reserved topic");
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "$SYSTEM/x"), Effect::deny);
}

TEST(CompiledPolicy, PublishToSvcNeedsARuleEvenUnderDefaultAllow) {
  const auto open = compiled({}, Effect::allow);
  const auto verdict = open.check(user("alice").principal(), Action::publish, "$svc/call/plc/read");
  EXPECT_EQ(verdict.effect, Effect::deny);
  EXPECT_EQ(verdict.why, "reserved topic");

  const auto granted = compiled({allow(1, Subject::user, "alice", "$svc/call/plc/+", kPublish)});
  const auto allowed =
      granted.check(user("alice").principal(), Action::publish, "$svc/call/plc/read");
  EXPECT_EQ(allowed.effect, Effect::allow);
  ASSERT_NE(allowed.rule, nullptr);
  EXPECT_EQ(allowed.rule->id, 1);
  EXPECT_EQ(effect_of(granted, user("bob"), Action::publish, "$svc/call/plc/read"), Effect::deny);
}

TEST(CompiledPolicy, FirstLevelWildcardsNeverReachDollarTopics) {
  const auto policy =
      compiled({allow(1, Subject::anyone, "", "#"), allow(2, Subject::anyone, "", "+/x"),
                allow(3, Subject::anyone, "", "%u/#")});
  const auto who = user("alice");
  EXPECT_EQ(effect_of(policy, who, Action::receive, "a/b"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::receive, "$SYS/x"), Effect::deny);
  EXPECT_EQ(effect_of(policy, who, Action::subscribe, "$SYS/#"), Effect::deny);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "$svc/x"), Effect::deny);
  // A client id or user name that looks like `$svc` is still no way into `$svc`.
  const auto sneaky = compiled({allow(1, Subject::anyone, "", "%c/#")});
  EXPECT_EQ(effect_of(sneaky, user("alice", {}, "$svc"), Action::publish, "$svc/call/a/b"),
            Effect::deny);
}

TEST(CompiledPolicy, DollarTopicsAreReadOnlyThroughRulesThatNameThem) {
  const auto policy = compiled(
      {allow(1, Subject::role, "ops", "$SYS/broker/#", kSubscribe | kReceive)}, Effect::allow);
  EXPECT_EQ(effect_of(policy, user("alice", {"ops"}), Action::receive, "$SYS/broker/load"),
            Effect::allow);
  EXPECT_EQ(effect_of(policy, user("alice", {"ops"}), Action::subscribe, "$SYS/broker/#"),
            Effect::allow);
  const auto verdict = policy.check(user("bob").principal(), Action::receive, "$SYS/broker/load");
  EXPECT_EQ(verdict.effect, Effect::deny);
  EXPECT_EQ(verdict.why, "reserved topic");
}

TEST(CompiledPolicy, TheHighestPriorityMatchingRuleDecides) {
  const auto policy = compiled({deny(1, Subject::anyone, "", "a/#", kAllActions, 1),
                                allow(2, Subject::user, "alice", "a/b", kAllActions, 5)});
  const auto verdict = policy.check(user("alice").principal(), Action::publish, "a/b");
  EXPECT_EQ(verdict.effect, Effect::allow);
  ASSERT_NE(verdict.rule, nullptr);
  EXPECT_EQ(verdict.rule->id, 2);
  EXPECT_EQ(verdict.why, "matched rule");
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, "a/c"), Effect::deny);
}

TEST(CompiledPolicy, DenyWinsATieAtEqualPriority) {
  const auto policy =
      compiled({allow(1, Subject::user, "alice", "a/b"), deny(2, Subject::anyone, "", "a/+"),
                allow(3, Subject::anyone, "", "a/#")});
  const auto verdict = policy.check(user("alice").principal(), Action::publish, "a/b");
  EXPECT_EQ(verdict.effect, Effect::deny);
  ASSERT_NE(verdict.rule, nullptr);
  EXPECT_EQ(verdict.rule->id, 2);
}

TEST(CompiledPolicy, NoMatchingRuleGivesTheDefaultWithItsReason) {
  const auto closed = compiled({allow(1, Subject::anyone, "", "a")});
  const auto denied = closed.check(user("alice").principal(), Action::publish, "b");
  EXPECT_EQ(denied.effect, Effect::deny);
  EXPECT_EQ(denied.rule, nullptr);
  EXPECT_EQ(denied.why, "no rule matched: default deny");

  const auto open = compiled({deny(1, Subject::anyone, "", "a")}, Effect::allow);
  const auto allowed = open.check(user("alice").principal(), Action::publish, "b");
  EXPECT_EQ(allowed.effect, Effect::allow);
  EXPECT_EQ(allowed.why, "no rule matched: default allow");
  EXPECT_EQ(effect_of(open, user("alice"), Action::publish, "a"), Effect::deny);
  EXPECT_EQ(open.default_effect(), Effect::allow);
}

TEST(CompiledPolicy, ARuleAppliesOnlyToItsActions) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "a", kSubscribe | kReceive)});
  const auto who = user("alice");
  EXPECT_EQ(effect_of(policy, who, Action::subscribe, "a"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::receive, "a"), Effect::allow);
  EXPECT_EQ(effect_of(policy, who, Action::publish, "a"), Effect::deny);
}

TEST(CompiledPolicy, MatchingRulesAreOrderedByPriorityThenDenyThenId) {
  const auto policy = compiled({allow(7, Subject::anyone, "", "a/#", kAllActions, 1),
                                allow(3, Subject::anyone, "", "a/b", kAllActions, 1),
                                deny(9, Subject::anyone, "", "a/+", kAllActions, 1),
                                allow(1, Subject::anyone, "", "#", kAllActions, 0),
                                deny(2, Subject::anyone, "", "a/b/c", kAllActions, 9),
                                allow(4, Subject::anyone, "", "a/+", kAllActions, 5)});
  const auto matched = policy.matching_rules(user("alice").principal(), Action::publish, "a/b");
  std::vector<std::int64_t> ids;
  for (const Rule* rule : matched) ids.push_back(rule->id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{4, 9, 3, 7, 1}));
  EXPECT_EQ(policy.rule_count(), 6u);
}

TEST(CompiledPolicy, CompileNamesTheRuleWhosePlaceholderIsNotAWholeLevel) {
  const auto policy = CompiledPolicy::compile(
      {allow(1, Subject::anyone, "", "a/%u/b"), allow(42, Subject::anyone, "", "a/x%u")},
      Effect::deny);
  ASSERT_FALSE(policy.has_value());
  EXPECT_NE(policy.error().find("rule 42"), std::string::npos) << policy.error();
  EXPECT_NE(policy.error().find("whole level"), std::string::npos) << policy.error();
}

TEST(CompiledPolicy, CompileRejectsTopicsThatAreNotFilters) {
  for (const char* topic : {"", "a/#/b", "a+", "a/b#", "+x", "$share/g/a", "%c%r"}) {
    const auto policy =
        CompiledPolicy::compile({allow(5, Subject::anyone, "", topic)}, Effect::deny);
    ASSERT_FALSE(policy.has_value()) << topic;
    EXPECT_NE(policy.error().find("rule 5"), std::string::npos) << policy.error();
  }
}

TEST(CompiledPolicy, CompileAcceptsWholeLevelPlaceholdersAndPlainPercentSigns) {
  for (const char* topic : {"%u", "a/%u/b", "%c/%r/#", "+/%u/+", "100%/x", "%x/y", "a/%/b"}) {
    const auto policy =
        CompiledPolicy::compile({allow(5, Subject::anyone, "", topic)}, Effect::deny);
    EXPECT_TRUE(policy.has_value()) << topic << ": " << (policy ? "" : policy.error());
  }
}

TEST(CompiledPolicy, CompileErrorsOfCompiledRulesNameTheirOrigin) {
  auto rule = allow(3, Subject::role, "ops", "$svc/call/a#/b");
  rule.origin = "call grant 3: role ops may call a#.b";
  const auto policy = CompiledPolicy::compile({rule}, Effect::deny);
  ASSERT_FALSE(policy.has_value());
  EXPECT_NE(policy.error().find("call grant 3"), std::string::npos) << policy.error();
}

TEST(CompiledPolicy, AnInvalidSharedSubscriptionIsDenied) {
  const auto policy = compiled({allow(1, Subject::anyone, "", "#")}, Effect::allow);
  const auto verdict = policy.check(user("alice").principal(), Action::subscribe, "$share//a");
  EXPECT_EQ(verdict.effect, Effect::deny);
  EXPECT_EQ(verdict.why, "invalid shared subscription");
  EXPECT_EQ(effect_of(policy, user("alice"), Action::publish, ""), Effect::deny);
}

TEST(CompiledPolicy, StaysValidAfterBeingMoved) {
  auto policy = compiled({allow(1, Subject::anyone, "", "a/#")});
  CompiledPolicy moved = std::move(policy);
  const auto verdict = moved.check(user("alice").principal(), Action::publish, "a/b");
  EXPECT_EQ(verdict.effect, Effect::allow);
  ASSERT_NE(verdict.rule, nullptr);
  EXPECT_EQ(verdict.rule->topic, "a/#");
}

}  // namespace
}  // namespace arkmq::acl
