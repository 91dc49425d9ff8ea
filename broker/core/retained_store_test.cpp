// Unit tests for RetainedStore: set/replace/clear, filter walks, '$' topics, expiry, pruning.
#include "broker/core/retained_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace arkmq::core {
namespace {

using Clock = std::chrono::steady_clock;

MessagePtr msg(std::string topic, std::string payload,
               std::optional<Clock::time_point> expires_at = std::nullopt) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->retain = true;
  m->expires_at = expires_at;
  return m;
}

std::vector<std::string> topics(const RetainedStore& store, std::string_view filter) {
  std::vector<MessagePtr> out;
  store.match(filter, out);
  std::vector<std::string> result;
  for (const auto& m : out) result.push_back(m->topic);
  std::sort(result.begin(), result.end());
  return result;
}

using Topics = std::vector<std::string>;

TEST(RetainedStore, StoresReplacesAndClearsByTopic) {
  RetainedStore store;
  store.store(msg("a/b", "one"));
  EXPECT_EQ(store.size(), 1U);
  EXPECT_EQ(store.bytes(), 3U + 3U);
  store.store(msg("a/b", "three"));
  EXPECT_EQ(store.size(), 1U);
  EXPECT_EQ(store.bytes(), 3U + 5U);
  ASSERT_NE(store.find("a/b"), nullptr);
  EXPECT_EQ(store.find("a/b")->payload, "three");
  store.store(msg("a/b", ""));  // [MQTT-3.3.1-6]
  EXPECT_EQ(store.find("a/b"), nullptr);
  EXPECT_EQ(store.size(), 0U);
  EXPECT_EQ(store.bytes(), 0U);
  EXPECT_EQ(store.node_count(), 0U);
}

TEST(RetainedStore, EmptyPayloadForAnUnknownTopicStoresNothing) {
  RetainedStore store;
  store.store(msg("x/y", ""));  // [MQTT-3.3.1-7]
  EXPECT_EQ(store.size(), 0U);
  EXPECT_EQ(store.node_count(), 0U);
  store.store(nullptr);
  EXPECT_EQ(store.size(), 0U);
}

TEST(RetainedStore, MatchesFiltersWithWildcards) {
  RetainedStore store;
  for (const char* t : {"sport", "sport/tennis", "sport/tennis/player1", "sport/", "/finance",
                        "a//b", "other", "$SYS/x", "$SYS", "sport/$x"}) {
    store.store(msg(t, "p"));
  }
  EXPECT_EQ(topics(store, "sport/#"),
            (Topics{"sport", "sport/", "sport/$x", "sport/tennis", "sport/tennis/player1"}));
  EXPECT_EQ(topics(store, "sport/+"), (Topics{"sport/", "sport/$x", "sport/tennis"}));
  EXPECT_EQ(topics(store, "sport/tennis/+"), (Topics{"sport/tennis/player1"}));
  EXPECT_EQ(topics(store, "+"), (Topics{"other", "sport"}));
  EXPECT_EQ(topics(store, "+/+"), (Topics{"/finance", "sport/", "sport/$x", "sport/tennis"}));
  EXPECT_EQ(topics(store, "/+"), (Topics{"/finance"}));
  EXPECT_EQ(topics(store, "a/+/b"), (Topics{"a//b"}));
  EXPECT_EQ(topics(store, "a//b"), (Topics{"a//b"}));
  EXPECT_EQ(topics(store, "sport"), (Topics{"sport"}));
  EXPECT_EQ(topics(store, "nothing/#"), Topics{});
  EXPECT_EQ(topics(store, "+/tennis/#"), (Topics{"sport/tennis", "sport/tennis/player1"}));
}

TEST(RetainedStore, WildcardsAtTheFirstLevelSkipDollarTopics) {
  RetainedStore store;
  store.store(msg("$SYS/x", "p"));
  store.store(msg("$SYS", "p"));
  store.store(msg("plain", "p"));
  EXPECT_EQ(topics(store, "#"), (Topics{"plain"}));  // [MQTT-4.7.2-1]
  EXPECT_EQ(topics(store, "+/x"), Topics{});
  EXPECT_EQ(topics(store, "+"), (Topics{"plain"}));
  EXPECT_EQ(topics(store, "$SYS/#"), (Topics{"$SYS", "$SYS/x"}));
  EXPECT_EQ(topics(store, "$SYS/+"), (Topics{"$SYS/x"}));
}

TEST(RetainedStore, MatchAppendsWithoutClearingOutput) {
  RetainedStore store;
  store.store(msg("t", "p"));
  std::vector<MessagePtr> out(1);
  store.match("t", out);
  EXPECT_EQ(out.size(), 2U);
}

TEST(RetainedStore, RemoveExpiredDropsOnlyExpiredMessagesAndTheirNodes) {
  RetainedStore store;
  const Clock::time_point t0{};
  store.store(msg("a/b/c", "old", t0 + std::chrono::seconds(10)));
  store.store(msg("a/b", "later", t0 + std::chrono::seconds(100)));
  store.store(msg("x/y", "forever"));
  EXPECT_EQ(store.remove_expired(t0 + std::chrono::seconds(9)), 0U);
  EXPECT_EQ(store.size(), 3U);
  EXPECT_EQ(store.remove_expired(t0 + std::chrono::seconds(10)), 1U);
  EXPECT_EQ(store.size(), 2U);
  EXPECT_EQ(store.find("a/b/c"), nullptr);
  EXPECT_EQ(store.node_count(), 4U);  // a, a/b, x, x/y
  EXPECT_EQ(store.remove_expired(t0 + std::chrono::hours(1)), 1U);
  EXPECT_EQ(topics(store, "#"), (Topics{"x/y"}));
  EXPECT_EQ(store.bytes(), 3U + 7U);
  EXPECT_EQ(store.node_count(), 2U);
}

TEST(RetainedStore, ReplacingClearsTheOldExpiry) {
  RetainedStore store;
  const Clock::time_point t0{};
  store.store(msg("t", "old", t0 + std::chrono::seconds(1)));
  store.store(msg("t", "new"));
  EXPECT_EQ(store.remove_expired(t0 + std::chrono::hours(1)), 0U);
  ASSERT_NE(store.find("t"), nullptr);
  EXPECT_EQ(store.find("t")->payload, "new");
}

TEST(RetainedStore, ClearingEveryTopicPrunesEveryNode) {
  RetainedStore store;
  const std::vector<std::string> all{"a", "a/b", "a/b/c", "a//b", "/", "$SYS/x", "q/w/e/r/t/y"};
  for (int round = 0; round < 3; ++round) {
    for (const auto& t : all) store.store(msg(t, "payload"));
    EXPECT_EQ(store.size(), all.size());
    for (const auto& t : all) EXPECT_TRUE(store.erase(t)) << t;
    EXPECT_FALSE(store.erase("a"));
    EXPECT_EQ(store.size(), 0U);
    EXPECT_EQ(store.bytes(), 0U);
    EXPECT_EQ(store.node_count(), 0U);
  }
}

TEST(RetainedStore, ErasingAPrefixTopicKeepsDeeperTopics) {
  RetainedStore store;
  store.store(msg("a", "p"));
  store.store(msg("a/b", "p"));
  EXPECT_TRUE(store.erase("a"));
  EXPECT_EQ(topics(store, "a/#"), (Topics{"a/b"}));
  EXPECT_EQ(store.node_count(), 2U);
}

TEST(RetainedStore, HandlesTopicsWith32kLevels) {
  std::string topic = "a";
  std::string plus_filter = "+";
  for (int i = 1; i < 32767; ++i) {
    topic += "/a";
    plus_filter += "/+";
  }
  const Clock::time_point t0{};
  RetainedStore store;
  store.store(msg(topic, "p", t0));
  store.store(msg(topic + "/b", "p"));
  EXPECT_EQ(topics(store, "#").size(), 2U);
  EXPECT_EQ(topics(store, plus_filter).size(), 1U);
  EXPECT_EQ(store.remove_expired(t0), 1U);
  EXPECT_EQ(store.node_count(), 32768U);
}  // the destructor frees the deep branch without recursing

TEST(RetainedStore, ForEachVisitsEveryMessage) {
  RetainedStore store;
  store.store(msg("a", "p"));
  store.store(msg("$SYS/a", "p"));
  store.store(msg("b/c", "p"));
  std::vector<std::string> seen;
  store.for_each([&](const MessagePtr& m) { seen.push_back(m->topic); });
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (Topics{"$SYS/a", "a", "b/c"}));
}

}  // namespace
}  // namespace arkmq::core
