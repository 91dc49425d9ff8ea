// Unit tests for SubscriptionTree::match with a fallback: shared groups with no eligible member.
#include "broker/core/subscription_tree.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace arkmq::core {
namespace {

Subscription member(SessionKey session) {
  Subscription s;
  s.session = session;
  return s;
}

SessionKey chosen(SubscriptionTree& tree, const EligibilityCheck& eligible,
                  const FallbackCheck& fallback) {
  std::vector<MatchedSubscription> out;
  tree.match("t", eligible, fallback, out);
  return out.size() == 1 ? out[0].subscription.session : 0;
}

TEST(SubscriptionTreeFallback, AnEligibleMemberIsAlwaysPreferredOverTheFallback) {
  SubscriptionTree tree;
  for (SessionKey k = 1; k <= 3; ++k) tree.subscribe("t", "g", member(k));
  const auto only_2 = [](SessionKey k) { return k == 2; };
  const auto anyone = [](const Subscription&) { return true; };
  for (int i = 0; i < 4; ++i) EXPECT_EQ(chosen(tree, only_2, anyone), 2U);
}

TEST(SubscriptionTreeFallback, WithNoEligibleMemberFallbackMembersTakeTurns) {
  SubscriptionTree tree;
  for (SessionKey k = 1; k <= 3; ++k) tree.subscribe("t", "g", member(k));
  const auto nobody = [](SessionKey) { return false; };
  const auto not_1 = [](const Subscription& s) { return s.session != 1; };
  std::vector<SessionKey> picks;
  for (int i = 0; i < 4; ++i) picks.push_back(chosen(tree, nobody, not_1));
  EXPECT_EQ(picks, (std::vector<SessionKey>{2, 3, 2, 3}));
}

TEST(SubscriptionTreeFallback, WithoutAFallbackAGroupWithNoEligibleMemberGivesNothing) {
  SubscriptionTree tree;
  tree.subscribe("t", "g", member(1));
  EXPECT_EQ(chosen(tree, [](SessionKey) { return false; }, FallbackCheck{}), 0U);
  EXPECT_EQ(chosen(tree, [](SessionKey) { return false; },
                   [](const Subscription&) { return false; }),
            0U);
}

}  // namespace
}  // namespace arkmq::core
