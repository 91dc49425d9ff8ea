// DecisionCache on its own, and the Authority's use of it: hits only for the exact request, and a
// reload (any update) is seen by the next check on every thread.
#include "acl/decision_cache.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "acl/authority_test_support.hpp"

namespace arkmq::acl::authority_test {
namespace {

DecisionKey key(std::string_view principal, std::string_view client, Action action,
                std::string_view topic) {
  return DecisionKey{principal, client, action, topic};
}

TEST(DecisionCache, RemembersADecisionForTheExactRequest) {
  DecisionCache cache;
  const auto k = key("alice", "c1", Action::publish, "plant/line1");
  EXPECT_FALSE(cache.find(k, DecisionCache::hash(k)).has_value());
  cache.store(k, DecisionCache::hash(k), Effect::allow);
  EXPECT_EQ(cache.find(k, DecisionCache::hash(k)), Effect::allow);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(DecisionCache, AnyDifferentFieldIsAMiss) {
  DecisionCache cache;
  const auto k = key("alice", "c1", Action::publish, "plant/line1");
  cache.store(k, DecisionCache::hash(k), Effect::allow);
  for (const auto& other :
       {key("alice", "c2", Action::publish, "plant/line1"),
        key("bob", "c1", Action::publish, "plant/line1"),
        key("alice", "c1", Action::receive, "plant/line1"),
        key("alice", "c1", Action::publish, "plant/line2"),
        key("", "c1", Action::publish, "plant/line1")}) {
    EXPECT_FALSE(cache.find(other, DecisionCache::hash(other)).has_value())
        << other.principal << " " << other.client_id << " " << other.topic;
  }
}

TEST(DecisionCache, BytesMovedBetweenPrincipalAndClientIdAreADifferentRequest) {
  DecisionCache cache;
  const auto k = key("ab", "c", Action::publish, "t");
  const auto moved = key("a", "bc", Action::publish, "t");
  cache.store(k, DecisionCache::hash(k), Effect::allow);
  // Even when the caller passes the same hash, the full comparison refuses the hit.
  EXPECT_FALSE(cache.find(moved, DecisionCache::hash(k)).has_value());
  EXPECT_FALSE(cache.find(moved, DecisionCache::hash(moved)).has_value());
}

TEST(DecisionCache, AHashCollisionNeverReturnsAnotherRequestsDecision) {
  DecisionCache cache;
  const auto a = key("alice", "c1", Action::publish, "x");
  const auto b = key("mallory", "c1", Action::publish, "x");
  const std::uint64_t same_hash = 12345;
  cache.store(a, same_hash, Effect::allow);
  EXPECT_FALSE(cache.find(b, same_hash).has_value());
  cache.store(b, same_hash, Effect::deny);  // replaces the slot
  EXPECT_EQ(cache.find(b, same_hash), Effect::deny);
  EXPECT_FALSE(cache.find(a, same_hash).has_value());
}

TEST(DecisionCache, VeryLongRequestsAreNotStored) {
  DecisionCache cache;
  const std::string topic(DecisionCache::kMaxKeyBytes, 't');
  const auto k = key("alice", "c1", Action::publish, topic);
  cache.store(k, DecisionCache::hash(k), Effect::allow);
  EXPECT_FALSE(cache.find(k, DecisionCache::hash(k)).has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DecisionCache, ClearForgetsEverything) {
  DecisionCache cache;
  const auto k = key("alice", "c1", Action::publish, "plant/line1");
  cache.store(k, DecisionCache::hash(k), Effect::allow);
  cache.clear();
  EXPECT_FALSE(cache.find(k, DecisionCache::hash(k)).has_value());
  EXPECT_EQ(cache.size(), 0u);
}

// --- the Authority's cache -------------------------------------------------------------------

TEST_F(AuthorityTest, ARuleChangeIsSeenByTheNextCheckOfAnAlreadyCachedRequest) {
  // Asked twice: the second answer comes from this thread's cache.
  EXPECT_EQ(authority_.check("alice", "c1", Action::publish, "plant/line1"), Effect::allow);
  EXPECT_EQ(authority_.check("alice", "c1", Action::publish, "plant/line1"), Effect::allow);
  data_.rules.push_back(rule(2, Subject::user, "alice", kPublish, "plant/line1", Effect::deny));
  load();
  EXPECT_EQ(authority_.check("alice", "c1", Action::publish, "plant/line1"), Effect::deny);
  data_.rules.pop_back();
  load();
  EXPECT_EQ(authority_.check("alice", "c1", Action::publish, "plant/line1"), Effect::allow);
}

TEST_F(AuthorityTest, ARoleTakenAwayIsSeenByTheNextCheck) {
  EXPECT_EQ(authority_.check("alice", "c1", Action::publish, "plant/line1"), Effect::allow);
  data_.users[0].roles.clear();
  load();
  EXPECT_EQ(authority_.check("alice", "c1", Action::publish, "plant/line1"), Effect::deny);
}

TEST_F(AuthorityTest, AReloadIsSeenByAThreadThatCachedTheOldDecision) {
  // The thread fills its cache, waits while the policy is reloaded, then asks again.
  Effect before = Effect::allow;
  Effect after = Effect::deny;
  std::atomic<int> step{0};
  std::thread second([&] {
    before = authority_.check("bob", "c1", Action::publish, "plant/line1");
    step.store(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (step.load() != 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    after = authority_.check("bob", "c1", Action::publish, "plant/line1");
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (step.load() != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  data_.users[1].roles = {"ops"};
  load();
  step.store(2);
  second.join();
  EXPECT_EQ(before, Effect::deny);
  EXPECT_EQ(after, Effect::allow);
}

TEST_F(AuthorityTest, TwoAuthoritiesOnOneThreadNeverShareDecisions) {
  Authority other(AuthoritySettings{});
  PolicyData data = data_;
  data.rules = {rule(1, Subject::role, "ops", kPublish, "plant/#", Effect::deny)};
  ASSERT_TRUE(other.update(data).has_value());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(authority_.check("alice", "c1", Action::publish, "plant/line1"), Effect::allow);
    EXPECT_EQ(other.check("alice", "c1", Action::publish, "plant/line1"), Effect::deny);
  }
}

TEST_F(AuthorityTest, CachedDecisionsStillDependOnTheClientId) {
  data_.rules = {rule(1, Subject::client, "line-*", kPublish, "plant/#", Effect::allow)};
  load();
  EXPECT_EQ(authority_.check("bob", "line-1", Action::publish, "plant/a"), Effect::allow);
  EXPECT_EQ(authority_.check("bob", "other", Action::publish, "plant/a"), Effect::deny);
  EXPECT_EQ(authority_.check("bob", "line-1", Action::publish, "plant/a"), Effect::allow);
  EXPECT_EQ(authority_.check("bob", "other", Action::publish, "plant/a"), Effect::deny);
}

}  // namespace
}  // namespace arkmq::acl::authority_test
