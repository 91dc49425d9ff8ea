// ClientGlob: `*` any run, `%u` the user name, the rest literal; the whole client id must match.
#include "acl/client_glob.hpp"

#include <gtest/gtest.h>

namespace arkmq::acl::detail {
namespace {

bool glob(std::string_view pattern, std::string_view client_id, std::string_view user = "alice") {
  return ClientGlob(pattern).matches(client_id, user);
}

TEST(ClientGlob, ALiteralPatternMatchesOnlyTheSameId) {
  EXPECT_TRUE(glob("sensor-1", "sensor-1"));
  EXPECT_FALSE(glob("sensor-1", "sensor-12"));
  EXPECT_FALSE(glob("sensor-1", "xsensor-1"));
  EXPECT_TRUE(glob("", ""));
  EXPECT_FALSE(glob("", "a"));
}

TEST(ClientGlob, AStarMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(glob("*", ""));
  EXPECT_TRUE(glob("*", "anything"));
  EXPECT_TRUE(glob("a*", "a"));
  EXPECT_TRUE(glob("*b", "ab"));
  EXPECT_TRUE(glob("a**b", "ab"));
  EXPECT_TRUE(glob("a*b*c", "a-b-b-c"));
  EXPECT_FALSE(glob("a*b*c", "a-c-b"));
  EXPECT_FALSE(glob("a*a", "a"));  // the two pieces may not overlap
  EXPECT_TRUE(glob("a*a", "aa"));
}

TEST(ClientGlob, PercentUStandsForTheUserName) {
  EXPECT_TRUE(glob("%u", "alice"));
  EXPECT_TRUE(glob("%u-*", "alice-laptop"));
  EXPECT_FALSE(glob("%u-*", "bob-laptop"));
  EXPECT_TRUE(glob("*-%u-*", "x-alice-y"));
  EXPECT_TRUE(glob("%u%u", "alicealice"));
  EXPECT_FALSE(glob("%u", "%u"));
  EXPECT_TRUE(glob("%%u", "%alice"));
  EXPECT_TRUE(glob("%c-%x", "%c-%x"));  // only %u is special
}

TEST(ClientGlob, UserNameCharactersAreLiteral) {
  EXPECT_TRUE(glob("%u", "a*b", "a*b"));
  EXPECT_FALSE(glob("%u", "axxb", "a*b"));
  EXPECT_TRUE(glob("%u-*", "-x", ""));  // an empty name is just empty text
}

}  // namespace
}  // namespace arkmq::acl::detail
