// The `$svc/` topic builders, compile_service_grants, and the compiled grants in a policy.
#include "acl/service_topics.hpp"

#include <gtest/gtest.h>

#include "acl/policy.hpp"
#include "acl/policy_test_support.hpp"

namespace arkmq::acl {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): terse builders in tests

CallGrant call_grant(std::int64_t id, Subject subject, std::string value, std::string service,
                     std::string method) {
  return CallGrant{id, subject, std::move(value), std::move(service), std::move(method)};
}

TEST(ServiceTopics, BuildersFollowTheSvcTopicScheme) {
  EXPECT_EQ(call_topic("plc", "read"), "$svc/call/plc/read");
  EXPECT_EQ(node_call_topic("edge-1", "plc", "read"), "$svc/node/edge-1/call/plc/read");
  EXPECT_EQ(node_reply_prefix("edge-1"), "$svc/reply/edge-1/");
  EXPECT_EQ(announce_topic("edge-1", "plc"), "$svc/announce/edge-1/plc");
  EXPECT_EQ(registry_topic("plc"), "$svc/registry/plc");
}

TEST(ServiceTopics, ACallGrantCompilesToACallRuleAndARegistryRule) {
  const auto rules =
      compile_service_grants({call_grant(3, Subject::role, "ops", "plc", "read")}, {});
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].topic, "$svc/call/plc/read");
  EXPECT_EQ(rules[0].actions, kPublish);
  EXPECT_EQ(rules[1].topic, "$svc/registry/plc");
  EXPECT_EQ(rules[1].actions, kSubscribe | kReceive);
  for (const auto& rule : rules) {
    EXPECT_EQ(rule.id, 3);
    EXPECT_EQ(rule.subject, Subject::role);
    EXPECT_EQ(rule.subject_value, "ops");
    EXPECT_EQ(rule.effect, Effect::allow);
    EXPECT_EQ(rule.priority, kServiceRulePriority);
    EXPECT_EQ(rule.origin, "call grant 3: role ops may call plc.read");
  }
}

TEST(ServiceTopics, ACallGrantWithoutAMethodCoversEveryMethod) {
  const auto rules = compile_service_grants({call_grant(4, Subject::user, "alice", "plc", "")}, {});
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].topic, "$svc/call/plc/+");
  EXPECT_EQ(rules[0].subject, Subject::user);
  EXPECT_EQ(rules[0].origin, "call grant 4: user alice may call plc.*");
}

TEST(ServiceTopics, AServeGrantCompilesToAnnounceCallAndReplyRulesForTheNode) {
  const auto rules = compile_service_grants({}, {ServeGrant{2, "edge-1", "plc"}});
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].topic, "$svc/announce/edge-1/plc");
  EXPECT_EQ(rules[0].actions, kPublish);
  EXPECT_EQ(rules[1].topic, "$svc/node/edge-1/call/plc/#");
  EXPECT_EQ(rules[1].actions, kSubscribe | kReceive);
  EXPECT_EQ(rules[2].topic, "$svc/reply/edge-1/#");
  EXPECT_EQ(rules[2].actions, kPublish);
  for (const auto& rule : rules) {
    EXPECT_EQ(rule.id, 2);
    EXPECT_EQ(rule.subject, Subject::user);
    EXPECT_EQ(rule.subject_value, "edge-1");
    EXPECT_EQ(rule.priority, kServiceRulePriority);
    EXPECT_EQ(rule.origin, "serve grant 2: node edge-1 may serve plc");
  }
}

TEST(ServiceTopics, GrantsWithNamesThatCouldActAsWildcardsCompileToNothing) {
  const auto rules =
      compile_service_grants({call_grant(1, Subject::role, "ops", "plc/+", "read"),
                              call_grant(2, Subject::role, "#", "plc", "read"),
                              call_grant(3, Subject::role, "ops", "plc", "re+ad"),
                              call_grant(4, Subject::anyone, "", "plc", "read")},
                             {ServeGrant{5, "edge/1", "plc"}, ServeGrant{6, "edge-1", "$plc"}});
  EXPECT_TRUE(rules.empty());
}

TEST(ServiceTopics, CompiledGrantsLetCallersCallAndNodesServe) {
  auto rules = compile_service_grants({call_grant(3, Subject::role, "ops", "plc", "read")},
                                      {ServeGrant{2, "edge-1", "plc"}});
  // A broad deny written for the plain topic space does not cancel the grants.
  rules.push_back(deny(10, Subject::anyone, "", "$svc/#", kAllActions, 100));
  const auto policy = compiled(std::move(rules));
  const auto caller = user("alice", {"ops"});
  const auto verdict = policy.check(caller.principal(), Action::publish, "$svc/call/plc/read");
  EXPECT_EQ(verdict.effect, Effect::allow);
  ASSERT_NE(verdict.rule, nullptr);
  EXPECT_EQ(verdict.rule->origin, "call grant 3: role ops may call plc.read");
  EXPECT_EQ(effect_of(policy, caller, Action::publish, "$svc/call/plc/write"), Effect::deny);
  EXPECT_EQ(effect_of(policy, caller, Action::subscribe, "$svc/registry/plc"), Effect::allow);
  EXPECT_EQ(effect_of(policy, caller, Action::receive, "$svc/registry/plc"), Effect::allow);
  EXPECT_EQ(effect_of(policy, user("bob"), Action::publish, "$svc/call/plc/read"), Effect::deny);

  const auto node = user("edge-1");
  EXPECT_EQ(effect_of(policy, node, Action::publish, "$svc/announce/edge-1/plc"), Effect::allow);
  EXPECT_EQ(effect_of(policy, node, Action::publish, "$svc/announce/edge-2/plc"), Effect::deny);
  EXPECT_EQ(effect_of(policy, node, Action::subscribe, "$svc/node/edge-1/call/plc/#"),
            Effect::allow);
  EXPECT_EQ(effect_of(policy, node, Action::receive, "$svc/node/edge-1/call/plc/read"),
            Effect::allow);
  EXPECT_EQ(effect_of(policy, node, Action::subscribe, "$svc/node/+/call/plc/#"), Effect::deny);
  EXPECT_EQ(effect_of(policy, node, Action::publish, "$svc/reply/edge-1/42"), Effect::allow);
  EXPECT_EQ(effect_of(policy, node, Action::publish, "$svc/reply/edge-2/42"), Effect::deny);
  EXPECT_EQ(effect_of(policy, node, Action::publish, "$svc/call/plc/read"), Effect::deny);
}

TEST(IsValidName, AcceptsOrdinaryNames) {
  for (const char* name : {"alice", "edge-1", "plc.read", "Zoë", "a b", "a%", "x$"}) {
    EXPECT_TRUE(is_valid_name(name)) << name;
  }
  EXPECT_TRUE(is_valid_name(std::string(128, 'a')));
}

TEST(IsValidName, RejectsNamesThatWouldActAsWildcardsSeparatorsOrReservedLevels) {
  for (const char* name : {"", "a/b", "a+", "#", "a*", "$svc", "%u", "tab\there", "del\x7f",
                           "c1\xc2\x85", "\xff", "\xc0\xaf"}) {
    EXPECT_FALSE(is_valid_name(name)) << name;
  }
  EXPECT_FALSE(is_valid_name(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_name(std::string_view("a\0b", 3)));
}

}  // namespace
}  // namespace arkmq::acl
