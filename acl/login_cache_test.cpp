#include "acl/login_cache.hpp"

#include <string>

#include <gtest/gtest.h>

namespace arkmq::acl {
namespace {

TEST(LoginCache, HitsOnlyForTheSameUserPasswordAndStoredHash) {
  LoginCache cache;
  cache.remember("alice", "pw", "$hash1");
  EXPECT_TRUE(cache.contains("alice", "pw", "$hash1"));
  EXPECT_FALSE(cache.contains("alice", "pw2", "$hash1"));
  EXPECT_FALSE(cache.contains("alice", "pw", "$hash2"));
  EXPECT_FALSE(cache.contains("bob", "pw", "$hash1"));
  EXPECT_FALSE(cache.contains("alic", "epw", "$hash1"));
}

TEST(LoginCache, RememberingAgainReplacesTheStoredHash) {
  LoginCache cache;
  cache.remember("alice", "pw", "$old");
  cache.remember("alice", "pw", "$new");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.contains("alice", "pw", "$old"));
  EXPECT_TRUE(cache.contains("alice", "pw", "$new"));
}

TEST(LoginCache, NeverHitsAnEmptyStoredHash) {
  LoginCache cache;
  cache.remember("alice", "", "");
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.contains("alice", "", ""));
}

TEST(LoginCache, EvictsTheOldestEntryWhenFull) {
  LoginCache cache(3);
  for (int i = 0; i < 5; ++i) cache.remember("user" + std::to_string(i), "pw", "$h");
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.contains("user0", "pw", "$h"));
  EXPECT_FALSE(cache.contains("user1", "pw", "$h"));
  EXPECT_TRUE(cache.contains("user2", "pw", "$h"));
  EXPECT_TRUE(cache.contains("user4", "pw", "$h"));
}

TEST(LoginCache, KeysDifferBetweenInstancesSoNothingLeaksAcrossProcesses) {
  // Two caches draw two HMAC keys: an entry in one is no entry in the other.
  LoginCache a;
  LoginCache b;
  a.remember("alice", "pw", "$h");
  EXPECT_TRUE(a.contains("alice", "pw", "$h"));
  EXPECT_FALSE(b.contains("alice", "pw", "$h"));
}

}  // namespace
}  // namespace arkmq::acl
