// Bridge topic mapping and loop prevention.
#include "edge-client/bridge_rules.hpp"

#include <gtest/gtest.h>

namespace arkmq::edge {
namespace {

Bridge make_bridge(bool loop_prevention = true) {
  return Bridge({{BridgeDirection::out, "sensors/#", "sites/p3/sensors/#"},
                 {BridgeDirection::in, "commands/+", "sites/p3/commands/+"}},
                "edge-1", loop_prevention, 2);
}

TEST(BridgeRules, MapTopicSwapsTheFixedHeadAndKeepsTheTail) {
  EXPECT_EQ(map_topic("sensors/#", "sites/p3/sensors/#", "sensors/a/b"), "sites/p3/sensors/a/b");
  EXPECT_EQ(map_topic("sensors/#", "sites/p3/sensors/#", "sensors"), "sites/p3/sensors");
  EXPECT_EQ(map_topic("a/+/t", "x/y/+/t", "a/s1/t"), "x/y/s1/t");
  EXPECT_EQ(map_topic("exact/topic", "other", "exact/topic"), "other");
  EXPECT_EQ(map_topic("#", "up/#", "a/b"), "up/a/b");
  EXPECT_EQ(map_topic("sensors/#", "x/#", "other/a"), std::nullopt);
}

TEST(BridgeRules, RulesWithDifferentWildcardTailsAreRejected) {
  EXPECT_TRUE(check_bridge_rule({BridgeDirection::out, "a/#", "b/+"}).has_value());
  EXPECT_FALSE(check_bridge_rule({BridgeDirection::out, "a/+/x/#", "b/c/+/x/#"}).has_value());
}

TEST(BridgeRules, OutboundMessageKeepsQosAndPropertiesAndGetsTheMarks) {
  EdgeMessage local{"sensors/t1", "21.5", 1, true, "", "", "text/plain", std::nullopt, std::nullopt, {{"unit", "C"}}};
  auto out = make_bridge().to_cloud(local);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->topic, "sites/p3/sensors/t1");
  EXPECT_EQ(out->qos, 1);
  EXPECT_TRUE(out->retain);
  EXPECT_EQ(out->content_type, "text/plain");
  EXPECT_EQ(out->user_property("unit"), "C");
  EXPECT_EQ(out->user_property(kOriginProperty), "edge-1");
  EXPECT_EQ(out->user_property(kHopsProperty), "1");
}

TEST(BridgeRules, TopicsWithoutARuleAreNotBridged) {
  EdgeMessage local;
  local.topic = "commands/x";  // an "in" rule's local side: not an outbound topic
  EXPECT_FALSE(make_bridge().to_cloud(local));
  local.topic = "sites/p3/commands/x";
  EXPECT_TRUE(make_bridge().to_local(local));
}

TEST(BridgeRules, OwnOriginComingBackIsNotBridgedAgain) {
  EdgeMessage cloud;
  cloud.topic = "sites/p3/commands/go";
  auto local = make_bridge().to_local(cloud);
  ASSERT_TRUE(local);
  EXPECT_EQ(local->topic, "commands/go");
  local->topic = "sensors/echo";  // as if an out rule covered it
  EXPECT_FALSE(make_bridge().to_cloud(*local));
  EXPECT_TRUE(make_bridge(false).to_cloud(*local));  // loop prevention off
}

TEST(BridgeRules, MessagesAtTheHopLimitStop) {
  EdgeMessage m;
  m.topic = "sensors/a";
  m.user_properties = {{kOriginProperty, "edge-2"}, {kHopsProperty, "1"}};
  auto out = make_bridge().to_cloud(m);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->user_property(kOriginProperty), "edge-2");
  EXPECT_EQ(out->user_property(kHopsProperty), "2");
  m.user_properties = {{kOriginProperty, "edge-2"}, {kHopsProperty, "2"}};
  EXPECT_FALSE(make_bridge().to_cloud(m));
  m.user_properties = {{kHopsProperty, "garbage"}};
  EXPECT_FALSE(make_bridge().to_cloud(m));
}

}  // namespace
}  // namespace arkmq::edge
