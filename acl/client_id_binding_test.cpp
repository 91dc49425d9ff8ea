#include "acl/client_id_binding.hpp"

#include <gtest/gtest.h>

namespace arkmq::acl {
namespace {

struct BindingCase {
  const char* pattern;
  const char* client_id;
  const char* principal;
  bool anonymous;
  bool matches;
};

constexpr BindingCase kCases[] = {
    {"", "anything", "alice", false, true},
    {"", "", "", true, true},
    {"%u-*", "alice-1", "alice", false, true},
    {"%u-*", "alice-", "alice", false, true},
    {"%u-*", "alice", "alice", false, false},
    {"%u-*", "bob-1", "alice", false, false},
    {"%u-*", "xalice-1", "alice", false, false},
    {"%u", "alice", "alice", false, true},
    {"%u", "alice2", "alice", false, false},
    {"sensor-*", "sensor-17", "alice", false, true},
    {"sensor-*", "sensor", "alice", false, false},
    {"*-%u", "plant-alice", "alice", false, true},
    {"*", "", "alice", false, true},
    {"a*b*c", "abc", "x", false, true},
    {"a*b*c", "aXbYc", "x", false, true},
    {"a*b*c", "acb", "x", false, false},
    {"a*a", "a", "x", false, false},  // prefix and suffix may not share the one character
    {"a*a", "aa", "x", false, true},
    {"**", "x", "x", false, true},
    {"%x-*", "%x-1", "x", false, true},  // only %u is special
    {"%", "%", "x", false, true},
    // The name is literal: a `*` in a certificate identity is not a wildcard.
    {"%u", "ab", "a*", false, false},
    {"%u", "a*", "a*", false, true},
    // Anonymous clients have no name: a %u pattern refuses them; others apply as usual.
    {"%u-*", "-1", "", true, false},
    {"%u", "", "", true, false},
    {"anon-*", "anon-7", "", true, true},
    {"anon-*", "other", "", true, false},
};

TEST(ClientIdBinding, MatchesTheGlobTable) {
  for (const auto& c : kCases) {
    EXPECT_EQ(client_id_matches(c.pattern, c.client_id, c.principal, c.anonymous), c.matches)
        << "pattern=" << c.pattern << " client_id=" << c.client_id << " principal=" << c.principal;
  }
}

}  // namespace
}  // namespace arkmq::acl
