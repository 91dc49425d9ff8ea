// Tests for service names and `$svc/` topic helpers.
#include "broker/services/names.hpp"

#include <gtest/gtest.h>

namespace arkmq::services {
namespace {

TEST(ServiceNames, RefuseSeparatorsWildcardsAndReservedStarts) {
  EXPECT_TRUE(is_valid_name("plc"));
  EXPECT_TRUE(is_valid_name("edge-plant-3.read_v2"));
  for (const char* bad : {"", "a/b", "a+", "#", "a*b", "$sys", "%u", "tab\there"}) {
    EXPECT_FALSE(is_valid_name(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_name(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_name(std::string("a\0b", 3)));
  EXPECT_FALSE(is_valid_name("\xC3\x28"));
}

TEST(ServiceNames, InboxPrefixIsOneLevelPerClient) {
  EXPECT_EQ(inbox_prefix("alice-1"), "$svc/inbox/alice-1/");
  // "a/b" would make client "a"'s inbox contain client "a/b"'s inbox.
  EXPECT_EQ(inbox_prefix("a/b"), std::nullopt);
  EXPECT_EQ(inbox_prefix("a+"), std::nullopt);
  EXPECT_EQ(inbox_prefix("#"), std::nullopt);
  EXPECT_EQ(inbox_prefix(""), std::nullopt);
}

TEST(ServiceTopics, ParseCallAnnounceAndReplyTopics) {
  const auto call = parse_call_topic("$svc/call/plc/read");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->service, "plc");
  EXPECT_EQ(call->method, "read");
  EXPECT_FALSE(parse_call_topic("$svc/call/plc"));
  EXPECT_FALSE(parse_call_topic("$svc/call/plc/read/extra"));
  EXPECT_FALSE(parse_call_topic("$svc/call/$plc/read"));
  EXPECT_FALSE(parse_call_topic("svc/call/plc/read"));
  const auto announce = parse_announce_topic("$svc/announce/edge-1/plc");
  ASSERT_TRUE(announce);
  EXPECT_EQ(announce->node, "edge-1");
  EXPECT_EQ(announce->service, "plc");
  EXPECT_FALSE(parse_announce_topic("$svc/announce/edge-1"));
  const auto reply = parse_reply_topic("$svc/reply/edge-1/abc");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->call_id, "abc");
  EXPECT_FALSE(parse_reply_topic("$svc/reply/edge-1/"));
  EXPECT_FALSE(parse_reply_topic("$svc/reply/edge-1/abc/def"));
}

TEST(ServiceTopics, BuildersFollowTheSpec) {
  EXPECT_EQ(node_call_topic("n", "s", "m"), "$svc/node/n/call/s/m");
  EXPECT_EQ(node_reply_topic("n", "id"), "$svc/reply/n/id");
  EXPECT_EQ(registry_topic("s"), "$svc/registry/s");
}

}  // namespace
}  // namespace arkmq::services
