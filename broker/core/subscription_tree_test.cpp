// Unit tests for SubscriptionTree: matching (spec 4.7), replace, shared groups, pruning.
#include "broker/core/subscription_tree.hpp"

#include "broker/protocol/topic_match_cases.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_set>

namespace arkmq::core {
namespace {

Subscription sub(SessionKey session, std::uint32_t id = 0,
                 protocol::QoS qos = protocol::QoS::at_most_once) {
  Subscription s;
  s.session = session;
  s.subscription_id = id;
  s.options.max_qos = qos;
  return s;
}

std::vector<MatchedSubscription> match_all(SubscriptionTree& tree, std::string_view topic) {
  std::vector<MatchedSubscription> out;
  tree.match(topic, {}, out);
  return out;
}

bool filter_matches(std::string_view filter, std::string_view topic) {
  SubscriptionTree tree;
  tree.subscribe(filter, "", sub(1));
  return !match_all(tree, topic).empty();
}

TEST(SubscriptionTree, MatchesTheSpecExamplesOfSection47) {
  for (const auto& c : protocol::test::topic_match_cases) {
    EXPECT_EQ(filter_matches(c.filter, c.topic), c.matches)
        << "filter '" << c.filter << "' topic '" << c.topic << "'";
  }
  EXPECT_TRUE(filter_matches("+", ""));  // the trie also sees the empty topic as one empty level
}

TEST(SubscriptionTree, ReturnsEveryOverlappingSubscriptionOfASession) {
  SubscriptionTree tree;
  tree.subscribe("a/b", "", sub(1, 11));
  tree.subscribe("a/+", "", sub(1, 12));
  tree.subscribe("#", "", sub(1, 13));
  tree.subscribe("a/c", "", sub(1, 14));
  tree.subscribe("a/b", "", sub(2, 21));
  const auto out = match_all(tree, "a/b");
  std::multiset<std::pair<SessionKey, std::uint32_t>> got;
  for (const auto& m : out) {
    got.insert({m.subscription.session, m.subscription.subscription_id});
    EXPECT_FALSE(m.shared);
  }
  const std::multiset<std::pair<SessionKey, std::uint32_t>> want{{1, 11}, {1, 12}, {1, 13}, {2, 21}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(tree.size(), 5U);
}

TEST(SubscriptionTree, ResubscribingTheSameFilterReplacesTheSubscription) {
  SubscriptionTree tree;
  EXPECT_FALSE(tree.subscribe("a/#", "", sub(1, 1, protocol::QoS::at_most_once)));
  EXPECT_TRUE(tree.subscribe("a/#", "", sub(1, 2, protocol::QoS::exactly_once)));
  EXPECT_EQ(tree.size(), 1U);
  const auto out = match_all(tree, "a/x");
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].subscription.subscription_id, 2U);
  EXPECT_EQ(out[0].subscription.options.max_qos, protocol::QoS::exactly_once);
  const auto subs = tree.subscriptions_of(1);
  ASSERT_EQ(subs.size(), 1U);
  EXPECT_EQ(subs[0].subscription.subscription_id, 2U);
}

TEST(SubscriptionTree, SharedAndNonSharedSubscriptionsToOneFilterAreDistinct) {
  SubscriptionTree tree;
  EXPECT_FALSE(tree.subscribe("a", "", sub(1)));
  EXPECT_FALSE(tree.subscribe("a", "g", sub(1)));
  EXPECT_FALSE(tree.subscribe("a", "h", sub(1)));
  EXPECT_TRUE(tree.subscribe("a", "g", sub(1, 5)));
  EXPECT_EQ(tree.size(), 3U);
  EXPECT_EQ(match_all(tree, "a").size(), 3U);
  EXPECT_EQ(tree.subscriptions_of(1).size(), 3U);
}

TEST(SubscriptionTree, UnsubscribeRemovesOnlyThatSubscription) {
  SubscriptionTree tree;
  tree.subscribe("a/b", "", sub(1));
  tree.subscribe("a/b", "", sub(2));
  tree.subscribe("a/b", "g", sub(1));
  EXPECT_TRUE(tree.unsubscribe("a/b", "", 1));
  EXPECT_FALSE(tree.unsubscribe("a/b", "", 1));
  EXPECT_FALSE(tree.unsubscribe("a/c", "", 2));
  EXPECT_FALSE(tree.unsubscribe("a/b", "other", 1));
  const auto out = match_all(tree, "a/b");
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(tree.size(), 2U);
  EXPECT_EQ(tree.subscriptions_of(1).size(), 1U);
  EXPECT_TRUE(tree.subscriptions_of(1)[0].share_group == "g");
}

TEST(SubscriptionTree, SharedGroupDeliversRoundRobinFairly) {
  SubscriptionTree tree;
  for (SessionKey s = 1; s <= 3; ++s) tree.subscribe("jobs/+", "workers", sub(s));
  std::map<SessionKey, int> counts;
  for (int i = 0; i < 300; ++i) {
    const auto out = match_all(tree, "jobs/" + std::to_string(i));
    ASSERT_EQ(out.size(), 1U);
    EXPECT_TRUE(out[0].shared);
    ++counts[out[0].subscription.session];
  }
  EXPECT_EQ(counts, (std::map<SessionKey, int>{{1, 100}, {2, 100}, {3, 100}}));
}

TEST(SubscriptionTree, SharedGroupSkipsIneligibleMembers) {
  SubscriptionTree tree;
  for (SessionKey s = 1; s <= 3; ++s) tree.subscribe("t", "g", sub(s));
  const EligibilityCheck not_two = [](SessionKey s) { return s != 2; };
  std::map<SessionKey, int> counts;
  for (int i = 0; i < 100; ++i) {
    std::vector<MatchedSubscription> out;
    tree.match("t", not_two, out);
    ASSERT_EQ(out.size(), 1U);
    ++counts[out[0].subscription.session];
  }
  EXPECT_EQ(counts, (std::map<SessionKey, int>{{1, 50}, {3, 50}}));
}

TEST(SubscriptionTree, SharedGroupWithNoEligibleMemberPicksNone) {
  SubscriptionTree tree;
  tree.subscribe("t", "g", sub(1));
  tree.subscribe("t", "g", sub(2));
  tree.subscribe("t", "", sub(3));
  std::vector<MatchedSubscription> out;
  tree.match("t", [](SessionKey s) { return s == 3; }, out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].subscription.session, 3U);
  EXPECT_FALSE(out[0].shared);
}

TEST(SubscriptionTree, EachSharedGroupAndFilterPicksItsOwnMember) {
  SubscriptionTree tree;
  tree.subscribe("a/b", "g", sub(1));
  tree.subscribe("a/b", "g", sub(2));
  tree.subscribe("a/+", "g", sub(3));
  tree.subscribe("a/b", "h", sub(4));
  const auto out = match_all(tree, "a/b");
  ASSERT_EQ(out.size(), 3U);
  for (const auto& m : out) EXPECT_TRUE(m.shared);
}

TEST(SubscriptionTree, RemovingAGroupMemberKeepsTheRotationFair) {
  SubscriptionTree tree;
  for (SessionKey s = 1; s <= 4; ++s) tree.subscribe("t", "g", sub(s));
  EXPECT_EQ(match_all(tree, "t")[0].subscription.session, 1U);
  EXPECT_EQ(match_all(tree, "t")[0].subscription.session, 2U);
  ASSERT_TRUE(tree.unsubscribe("t", "g", 1));  // before the cursor
  EXPECT_EQ(match_all(tree, "t")[0].subscription.session, 3U);
  ASSERT_TRUE(tree.unsubscribe("t", "g", 4));  // the next one
  EXPECT_EQ(match_all(tree, "t")[0].subscription.session, 2U);
  EXPECT_EQ(match_all(tree, "t")[0].subscription.session, 3U);
}

TEST(SubscriptionTree, RemoveSessionDropsAllItsSubscriptionsAndNodes) {
  SubscriptionTree tree;
  tree.subscribe("a/b/c", "", sub(1));
  tree.subscribe("a/+/#", "", sub(1));
  tree.subscribe("x", "g", sub(1));
  tree.subscribe("a/b/c", "", sub(2));
  tree.subscribe("x", "g", sub(2));
  const std::size_t nodes_of_two = [] {
    SubscriptionTree other;
    other.subscribe("a/b/c", "", sub(2));
    other.subscribe("x", "g", sub(2));
    return other.node_count();
  }();
  tree.remove_session(1);
  EXPECT_EQ(tree.size(), 2U);
  EXPECT_FALSE(tree.has_subscriptions(1));
  EXPECT_TRUE(tree.subscriptions_of(1).empty());
  EXPECT_EQ(tree.node_count(), nodes_of_two);
  const auto out = match_all(tree, "a/b/c");
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].subscription.session, 2U);
  tree.remove_session(1);  // a second time is harmless
  tree.remove_session(2);
  EXPECT_EQ(tree.size(), 0U);
  EXPECT_EQ(tree.node_count(), 0U);
  EXPECT_EQ(tree.session_count(), 0U);
}

TEST(SubscriptionTree, UnsubscribingEverythingPrunesEveryNode) {
  SubscriptionTree tree;
  const std::vector<std::string> filters{"a/b/c", "a/b", "a/+/c", "a/#", "#", "+", "+/+/+",
                                         "a//b", "/", "$SYS/#", "a/b/c/d/e/f"};
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < filters.size(); ++i) {
      tree.subscribe(filters[i], "", sub(1));
      tree.subscribe(filters[i], "g", sub(2));
    }
    EXPECT_EQ(tree.size(), filters.size() * 2);
    EXPECT_GT(tree.node_count(), 0U);
    for (std::size_t i = 0; i < filters.size(); ++i) {
      EXPECT_TRUE(tree.unsubscribe(filters[i], "", 1)) << filters[i];
      EXPECT_TRUE(tree.unsubscribe(filters[i], "g", 2)) << filters[i];
    }
    EXPECT_EQ(tree.size(), 0U);
    EXPECT_EQ(tree.node_count(), 0U);
    EXPECT_EQ(tree.session_count(), 0U);
  }
}

TEST(SubscriptionTree, UnsubscribingAPrefixKeepsDeeperSubscriptions) {
  SubscriptionTree tree;
  tree.subscribe("a/b", "", sub(1));
  tree.subscribe("a/b/c", "", sub(1));
  EXPECT_EQ(tree.node_count(), 3U);
  ASSERT_TRUE(tree.unsubscribe("a/b", "", 1));
  EXPECT_EQ(tree.node_count(), 3U);
  EXPECT_EQ(match_all(tree, "a/b/c").size(), 1U);
  EXPECT_TRUE(match_all(tree, "a/b").empty());
}

TEST(SubscriptionTree, SubscriptionsOfListsFiltersAndGroups) {
  SubscriptionTree tree;
  tree.subscribe("a/#", "", sub(7, 3));
  tree.subscribe("b", "grp", sub(7));
  tree.subscribe("c", "", sub(8));
  auto subs = tree.subscriptions_of(7);
  std::sort(subs.begin(), subs.end(),
            [](const auto& l, const auto& r) { return l.filter < r.filter; });
  ASSERT_EQ(subs.size(), 2U);
  EXPECT_EQ(subs[0], (SessionSubscription{"a/#", "", sub(7, 3)}));
  EXPECT_EQ(subs[1], (SessionSubscription{"b", "grp", sub(7)}));
  EXPECT_TRUE(tree.subscriptions_of(9).empty());
}

// Straightforward level-by-level matcher (spec 4.7) as the reference for the trie.
bool reference_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;  // [MQTT-4.7.2-1]
  }
  for (;;) {
    const std::size_t fs = filter.find('/');
    const std::string_view flevel = filter.substr(0, fs);
    if (flevel == "#") return true;
    const std::size_t ts = topic.find('/');
    const std::string_view tlevel = topic.substr(0, ts);
    if (flevel != "+" && flevel != tlevel) return false;
    if (fs == std::string_view::npos || ts == std::string_view::npos) {
      // "a/#" matches "a": the filter's remaining level is just "#".
      return (fs == std::string_view::npos && ts == std::string_view::npos) ||
             (ts == std::string_view::npos && filter.substr(fs + 1) == "#");
    }
    filter.remove_prefix(fs + 1);
    topic.remove_prefix(ts + 1);
  }
}

TEST(SubscriptionTree, AgreesWithAReferenceMatcherOnRandomFiltersAndTopics) {
  const std::vector<std::string> tlevels{"a", "b", "", "$x"};
  std::uint64_t state = 12345;
  auto rnd = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  auto random_topic = [&] {
    std::string t;
    const std::uint64_t n = 1 + rnd(4);
    for (std::uint64_t i = 0; i < n; ++i) t += (i ? "/" : "") + tlevels[rnd(tlevels.size())];
    return t;
  };
  auto random_filter = [&] {
    std::string f;
    const std::uint64_t n = 1 + rnd(4);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (i) f += "/";
      const std::uint64_t k = rnd(6);
      if (k == 0) f += "+";
      else if (k == 1 && i + 1 == n) f += "#";
      else f += tlevels[rnd(tlevels.size())];
    }
    return f;
  };
  SubscriptionTree tree;
  std::vector<std::string> filters;
  for (SessionKey s = 0; s < 200; ++s) {
    filters.push_back(random_filter());
    tree.subscribe(filters.back(), "", sub(s));
  }
  std::size_t total_matches = 0;
  for (int i = 0; i < 500; ++i) {
    const std::string topic = random_topic();
    std::set<SessionKey> want;
    for (SessionKey s = 0; s < filters.size(); ++s) {
      if (reference_matches(filters[s], topic)) want.insert(s);
    }
    std::set<SessionKey> got;
    for (const auto& m : match_all(tree, topic)) got.insert(m.subscription.session);
    EXPECT_EQ(got, want) << "topic '" << topic << "'";
    total_matches += want.size();
  }
  EXPECT_GT(total_matches, 500U);  // the random mix really exercises matching
  for (SessionKey s = 0; s < filters.size(); ++s) EXPECT_TRUE(tree.unsubscribe(filters[s], "", s));
  EXPECT_EQ(tree.node_count(), 0U);
}

TEST(SubscriptionTree, ReplacingASharedMemberKeepsItsTurn) {
  SubscriptionTree tree;
  for (SessionKey s = 1; s <= 3; ++s) tree.subscribe("t", "g", sub(s));
  EXPECT_EQ(match_all(tree, "t")[0].subscription.session, 1U);
  EXPECT_TRUE(tree.subscribe("t", "g", sub(2, 9)));
  const auto out = match_all(tree, "t");
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].subscription.session, 2U);
  EXPECT_EQ(out[0].subscription.subscription_id, 9U);
  EXPECT_EQ(tree.size(), 3U);
}

TEST(SubscriptionTree, HandlesFiltersWithThe32kLevelsAProtocolFilterCanHave) {
  std::string plus_filter = "+";
  std::string topic = "a";
  for (int i = 1; i < 32767; ++i) {
    plus_filter += "/+";
    topic += "/a";
  }
  SubscriptionTree tree;
  tree.subscribe(plus_filter, "", sub(1));
  tree.subscribe(topic, "", sub(2));
  EXPECT_EQ(match_all(tree, topic).size(), 2U);
  EXPECT_EQ(tree.node_count(), 2U * 32767U);
  tree.remove_session(1);
  EXPECT_EQ(tree.node_count(), 32767U);
}  // the destructor frees the remaining deep branch without recursing

TEST(SubscriptionTree, MatchAppendsWithoutClearingOutput) {
  SubscriptionTree tree;
  tree.subscribe("t", "", sub(1));
  std::vector<MatchedSubscription> out(2);
  tree.match("t", {}, out);
  EXPECT_EQ(out.size(), 3U);
}

}  // namespace
}  // namespace arkmq::core
