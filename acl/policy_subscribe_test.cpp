// CompiledPolicy: subscribe requests are decided by coverage (every topic the requested filter
// matches must be matched by the rule filter), after `$share/GROUP/` is stripped.
#include <gtest/gtest.h>

#include "acl/policy.hpp"
#include "acl/policy_test_support.hpp"

namespace arkmq::acl {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): terse builders in tests

Effect subscribe(const CompiledPolicy& policy, std::string_view filter,
                 const Identity& who = user("alice", {"ops"}, "c1")) {
  return effect_of(policy, who, Action::subscribe, filter);
}

TEST(CompiledPolicy, ARequestPlusIsCoveredOnlyByARulePlusOrHash) {
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "a/+")}), "a/+"), Effect::allow);
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "a/#")}), "a/+"), Effect::allow);
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "a/b")}), "a/+"), Effect::deny);
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "a/%u")}), "a/+"), Effect::deny);
}

TEST(CompiledPolicy, ARequestHashIsCoveredOnlyByARuleHash) {
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "a/#")}), "a/#"), Effect::allow);
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "#")}), "a/#"), Effect::allow);
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "#")}), "#"), Effect::allow);
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "a/+")}), "a/#"), Effect::deny);
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "a/+/#")}), "a/#"), Effect::deny);
  EXPECT_EQ(subscribe(compiled({allow(1, Subject::anyone, "", "a/b/#")}), "a/#"), Effect::deny);
}

TEST(CompiledPolicy, ARequestHashWithNoParentTopicIsAlsoCoveredByPlusHash) {
  // "#" and "/#" cannot match their parent level (it would be the empty topic), so a rule that
  // needs one more level still covers them; "a/#" matches "a", which "a/+/#" does not.
  const auto policy =
      compiled({allow(1, Subject::anyone, "", "+/#"), allow(2, Subject::anyone, "", "/+/#"),
                allow(3, Subject::anyone, "", "a/+/#")});
  EXPECT_EQ(subscribe(policy, "#"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "/#"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "a/#"), Effect::allow);  // through rule 1
  const auto narrower = compiled({allow(3, Subject::anyone, "", "a/+/#")});
  EXPECT_EQ(subscribe(narrower, "a/#"), Effect::deny);
  const auto widened =
      compiled({allow(1, Subject::anyone, "", "#"), deny(2, Subject::anyone, "", "%u/#")});
  EXPECT_EQ(subscribe(widened, "#", user("a/b")), Effect::deny);
  EXPECT_EQ(subscribe(widened, "#", user("alice")), Effect::allow);
}

TEST(CompiledPolicy, ARequestLiteralIsCoveredByEqualLiteralsWildcardsAndPlaceholders) {
  const auto policy =
      compiled({allow(1, Subject::anyone, "", "x/y"), allow(2, Subject::anyone, "", "p/+/z"),
                allow(3, Subject::anyone, "", "h/#"), allow(4, Subject::anyone, "", "u/%u/%c/%r")});
  EXPECT_EQ(subscribe(policy, "x/y"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "x/y/z"), Effect::deny);
  EXPECT_EQ(subscribe(policy, "x"), Effect::deny);
  EXPECT_EQ(subscribe(policy, "p/q/z"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "p/+/z"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "h"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "h/+/#"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "u/alice/c1/ops"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "u/bob/c1/ops"), Effect::deny);
  EXPECT_EQ(subscribe(policy, "u/alice/+/ops"), Effect::deny);
}

TEST(CompiledPolicy, DenyRulesUseTheSameCoverage) {
  const auto policy =
      compiled({allow(1, Subject::anyone, "", "#"), deny(2, Subject::anyone, "", "a/secret"),
                deny(3, Subject::anyone, "", "b/+")});
  EXPECT_EQ(subscribe(policy, "a/secret"), Effect::deny);
  // The request is wider than the deny; the receive check filters what it delivers.
  EXPECT_EQ(subscribe(policy, "a/+"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "b/+"), Effect::deny);
  EXPECT_EQ(subscribe(policy, "b/x"), Effect::deny);
  EXPECT_EQ(subscribe(policy, "b/#"), Effect::allow);
}

TEST(CompiledPolicy, AWidenedDenyPlaceholderCoversARequestPlus) {
  const auto policy = compiled(
      {allow(1, Subject::anyone, "", "#"), deny(2, Subject::anyone, "", "home/%u/secret")});
  EXPECT_EQ(subscribe(policy, "home/+/secret", user("a+b")), Effect::deny);
  EXPECT_EQ(subscribe(policy, "home/+/secret", user("alice")), Effect::allow);
  EXPECT_EQ(subscribe(policy, "home/alice/secret", user("alice")), Effect::deny);
}

TEST(CompiledPolicy, SharedSubscriptionsAreCheckedOnTheFilterAfterTheGroup) {
  const auto policy = compiled(
      {allow(1, Subject::anyone, "", "jobs/#"), deny(2, Subject::anyone, "", "jobs/secret")});
  EXPECT_EQ(subscribe(policy, "$share/workers/jobs/a"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "$share/workers/jobs/#"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "$share/workers/jobs/secret"), Effect::deny);
  EXPECT_EQ(subscribe(policy, "$share/workers/other"), Effect::deny);
  const auto matched =
      policy.matching_rules(user("alice").principal(), Action::subscribe, "$share/g/jobs/secret");
  EXPECT_EQ(matched.size(), 2u);
}

TEST(CompiledPolicy, SubscribingToDollarTopicsNeedsARuleThatNamesTheDollarLevel) {
  const auto policy =
      compiled({allow(1, Subject::anyone, "", "#"), allow(2, Subject::anyone, "", "+/#"),
                allow(3, Subject::role, "ops", "$SYS/#")},
               Effect::allow);
  EXPECT_EQ(subscribe(policy, "#"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "+/x"), Effect::allow);
  EXPECT_EQ(subscribe(policy, "$SYS/#", user("bob")), Effect::deny);
  EXPECT_EQ(subscribe(policy, "$SYS/+/load", user("bob")), Effect::deny);
  EXPECT_EQ(subscribe(policy, "$SYS/#", user("alice", {"ops"})), Effect::allow);
  EXPECT_EQ(subscribe(policy, "$share/g/$SYS/x", user("bob")), Effect::deny);
}

}  // namespace
}  // namespace arkmq::acl
