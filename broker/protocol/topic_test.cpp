// Topic validation and matching tests; matching rows follow the examples of spec 4.7.
#include "broker/protocol/topic.hpp"
#include "broker/protocol/topic_match_cases.hpp"

#include <gtest/gtest.h>

#include <string>

namespace arkmq::protocol {
namespace {

TEST(TopicMatches, FollowsTheSpecExamples) {
  for (const auto& row : test::topic_match_cases) {
    EXPECT_EQ(topic_matches(row.filter, row.topic), row.matches)
        << "filter '" << row.filter << "' topic '" << row.topic << "'";
  }
}

TEST(TopicName, RejectsWildcardsEmptinessAndBadUtf8) {
  EXPECT_TRUE(is_valid_topic_name("sport/tennis/player1"));
  EXPECT_TRUE(is_valid_topic_name("/"));
  EXPECT_TRUE(is_valid_topic_name("$SYS/x"));
  EXPECT_FALSE(is_valid_topic_name(""));
  EXPECT_FALSE(is_valid_topic_name("sport/+"));
  EXPECT_FALSE(is_valid_topic_name("sport/#"));
  EXPECT_FALSE(is_valid_topic_name(std::string_view("a\0b", 3)));
  EXPECT_FALSE(is_valid_topic_name(std::string(65536, 'a')));
  EXPECT_TRUE(is_valid_topic_name(std::string(65535, 'a')));
}

TEST(TopicFilter, AcceptsWellPlacedWildcardsOnly) {
  for (const char* ok : {"#", "+", "sport/#", "sport/+/player1", "+/+", "/+", "sport/tennis/#",
                         "$SYS/#", "a//b"}) {
    EXPECT_TRUE(is_valid_topic_filter(ok)) << ok;
  }
  for (const char* bad : {"", "sport/tennis#", "sport/tennis/#/ranking", "sport+", "sp+rt/x",
                          "#/a", "a/#b", "++"}) {
    EXPECT_FALSE(is_valid_topic_filter(bad)) << bad;
  }
}

TEST(Utf8, AcceptsWellFormedMultiByteSequences) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9"));              // U+00E9
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));             // U+20AC
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));         // U+1F600
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));         // U+10FFFF
  EXPECT_TRUE(is_valid_utf8("\xEF\xBB\xBF"));             // U+FEFF is allowed [MQTT-1.5.4-3]
}

TEST(Utf8, RejectsOverlongsSurrogatesOutOfRangeAndNul) {
  EXPECT_FALSE(is_valid_utf8(std::string_view("\0", 1)));  // U+0000
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));                 // overlong U+0000
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));                 // overlong U+007F
  EXPECT_FALSE(is_valid_utf8("\xE0\x9F\xBF"));             // overlong U+07FF
  EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));         // overlong U+FFFF
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));             // U+D800
  EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));             // U+DFFF
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));         // U+110000
  EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));     // 5-byte form
  EXPECT_FALSE(is_valid_utf8("\x80"));                     // lone continuation
  EXPECT_FALSE(is_valid_utf8("\xC3"));                     // truncated
  EXPECT_FALSE(is_valid_utf8("\xE2\x28\xA1"));             // bad continuation
}

TEST(Utf8, FindsBadBytesAtEveryOffsetOfALongAsciiString) {
  for (std::size_t offset = 0; offset < 20; ++offset) {
    std::string text(20, 'a');
    EXPECT_TRUE(is_valid_utf8(text));
    text[offset] = '\0';
    EXPECT_FALSE(is_valid_utf8(text)) << "NUL at " << offset;
    text[offset] = '\x80';
    EXPECT_FALSE(is_valid_utf8(text)) << "continuation at " << offset;
  }
}

TEST(SharedFilter, SplitsGroupAndFilter) {
  const auto shared = parse_shared_filter("$share/consumers/sport/tennis/+");
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(shared->group, "consumers");
  EXPECT_EQ(shared->filter, "sport/tennis/+");
}

TEST(SharedFilter, NonSharedFiltersAreNullopt) {
  EXPECT_FALSE(parse_shared_filter("sport/#").has_value());
  EXPECT_FALSE(parse_shared_filter("$share").has_value());
  EXPECT_FALSE(parse_shared_filter("$SYS/#").has_value());
}

TEST(SharedFilter, BadGroupOrMissingFilterGivesEmptyGroup) {
  for (const char* bad : {"$share/", "$share/group", "$share//a", "$share/gr+up/a", "$share/g#/a",
                          "$share/group/"}) {
    const auto shared = parse_shared_filter(bad);
    ASSERT_TRUE(shared.has_value()) << bad;
    EXPECT_TRUE(shared->group.empty()) << bad;
  }
}

}  // namespace
}  // namespace arkmq::protocol
