#include "acl/password_hash.hpp"

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace arkmq::acl {
namespace {

// The default strength costs ~0.2 s per hash; tests use the minimum to stay fast.
std::string quick_hash(std::string_view password) {
  return hash_password(password, kMinIterations);
}

std::vector<std::string> split(const std::string& encoded) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t dollar = encoded.find('$', start);
    fields.push_back(encoded.substr(start, dollar - start));
    if (dollar == std::string::npos) return fields;
    start = dollar + 1;
  }
}

std::string join(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i != 0) out += '$';
    out += fields[i];
  }
  return out;
}

TEST(PasswordHash, VerifiesTheRightPassword) {
  const std::string encoded = quick_hash("correct horse");
  EXPECT_TRUE(verify_password("correct horse", encoded));
}

TEST(PasswordHash, RejectsAWrongPassword) {
  const std::string encoded = quick_hash("correct horse");
  EXPECT_FALSE(verify_password("correct hors", encoded));
  EXPECT_FALSE(verify_password("correct horsf", encoded));
  EXPECT_FALSE(verify_password("", encoded));
}

TEST(PasswordHash, HasTheDocumentedFormat) {
  const std::string encoded = quick_hash("pw");
  const auto fields = split(encoded);
  ASSERT_EQ(fields.size(), 6u);
  EXPECT_EQ(fields[0], "");
  EXPECT_EQ(fields[1], "arkmq");
  EXPECT_EQ(fields[2], "pbkdf2-sha512");
  EXPECT_EQ(fields[3], "i=" + std::to_string(kMinIterations));
  EXPECT_EQ(fields[4].size(), 24u);  // 16 bytes
  EXPECT_EQ(fields[5].size(), 88u);  // 64 bytes
}

TEST(PasswordHash, DefaultStrengthIsTheDocumentedIterationCount) {
  const std::string encoded = hash_password("pw");
  EXPECT_NE(encoded.find("$i=210000$"), std::string::npos);
  EXPECT_TRUE(verify_password("pw", encoded));
  EXPECT_FALSE(needs_rehash(encoded));
}

TEST(PasswordHash, EachHashHasItsOwnSalt) {
  const std::string a = quick_hash("same");
  const std::string b = quick_hash("same");
  EXPECT_NE(a, b);
  EXPECT_NE(split(a)[4], split(b)[4]);
  EXPECT_TRUE(verify_password("same", a));
  EXPECT_TRUE(verify_password("same", b));
}

TEST(PasswordHash, DoesNotContainThePassword) {
  const std::string password = "Sup3rSecretPassw0rd";
  const std::string encoded = quick_hash(password);
  EXPECT_EQ(encoded.find(password), std::string::npos);
  EXPECT_EQ(encoded.find("Sup3r"), std::string::npos);
}

TEST(PasswordHash, HandlesEmptyLongAndBinaryPasswords) {
  const std::string empty;
  const std::string long_password(10'000, 'x');
  const std::string binary("a\0b\xff", 4);
  for (const auto& password : {empty, long_password, binary}) {
    const std::string encoded = quick_hash(password);
    EXPECT_TRUE(verify_password(password, encoded));
  }
  // A password with an embedded NUL differs from its prefix.
  EXPECT_FALSE(verify_password("a", quick_hash(binary)));
}

TEST(PasswordHash, ClampsTooFewIterationsSoTheHashStillVerifies) {
  const std::string encoded = hash_password("pw", 1);
  EXPECT_EQ(split(encoded)[3], "i=" + std::to_string(kMinIterations));
  EXPECT_TRUE(verify_password("pw", encoded));
}

TEST(PasswordHash, RejectsATamperedField) {
  const std::string encoded = quick_hash("pw");
  const auto fields = split(encoded);
  ASSERT_EQ(fields.size(), 6u);

  auto other_iterations = fields;
  other_iterations[3] = "i=" + std::to_string(kMinIterations + 1);
  EXPECT_FALSE(verify_password("pw", join(other_iterations)));

  auto other_salt = fields;
  other_salt[4][0] = other_salt[4][0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password("pw", join(other_salt)));

  auto other_key = fields;
  other_key[5][10] = other_key[5][10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password("pw", join(other_key)));

  auto swapped = fields;
  std::swap(swapped[4], swapped[5]);
  EXPECT_FALSE(verify_password("pw", join(swapped)));
}

TEST(PasswordHash, RejectsMalformedStringsWithoutCrashing) {
  const std::string good = quick_hash("pw");
  const auto f = split(good);
  const std::string salt = f[4];
  const std::string key = f[5];
  const std::string iters = f[3];
  const std::vector<std::string> malformed = {
      "",
      "$",
      "$$$$$",
      "pw",
      good.substr(0, good.size() - 1),
      good + "$",
      good + "=",
      good + "A",
      " " + good,
      good + " ",
      "$arkmq$pbkdf2-sha256$" + iters + "$" + salt + "$" + key,
      "$ARKMQ$pbkdf2-sha512$" + iters + "$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$$" + iters + "$" + salt + "$" + key,
      "arkmq$pbkdf2-sha512$" + iters + "$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt,
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt + "$" + key + "$" + key,
      "$arkmq$pbkdf2-sha512$" + salt + "$" + key,
      // iterations
      "$arkmq$pbkdf2-sha512$i=$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=abc$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=-10000$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=+10000$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i= 10000$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=10000 $" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=010000$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=1e5$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=9999$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=1$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=0$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=10000001$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=4294967296$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$i=99999999999999999999$" + salt + "$" + key,
      "$arkmq$pbkdf2-sha512$n=10000$" + salt + "$" + key,
      // base64 and lengths
      "$arkmq$pbkdf2-sha512$" + iters + "$$" + key,
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt + "$",
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt.substr(0, 22) + "$" + key,
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt + "AAAA$" + key,
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt + "$" + key.substr(0, 84),
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt + "$" + key + "AAAA",
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt + "$" + key.substr(0, 87),
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt.substr(0, 22) + "!!$" + key,
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt.substr(0, 21) + "=A=$" + key,
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt.substr(0, 21) + "===$" + key,
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt.substr(0, 10) + "\n" + salt.substr(11) + "$" +
          key,
      "$arkmq$pbkdf2-sha512$" + iters + "$" + salt + "$" + key.substr(0, 86) + "-=",
      std::string("$arkmq$pbkdf2-sha512$\0i=10000$", 30) + salt + "$" + key,
  };
  for (const auto& encoded : malformed) {
    EXPECT_FALSE(verify_password("pw", encoded)) << encoded;
    EXPECT_TRUE(needs_rehash(encoded)) << encoded;
  }
  EXPECT_TRUE(verify_password("pw", good));
}

TEST(PasswordHash, RejectsEveryRandomSingleByteMutation) {
  // A fixed seed keeps failures reproducible; 200 mutations stay under a second.
  const std::string good = quick_hash("pw");
  std::mt19937 random(20261127);
  std::uniform_int_distribution<std::size_t> position(0, good.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 200; ++i) {
    std::string mutated = good;
    mutated[position(random)] = static_cast<char>(byte(random));
    if (mutated == good) continue;
    EXPECT_FALSE(verify_password("pw", mutated)) << mutated;
  }
}

TEST(PasswordHash, RejectsNonCanonicalBase64) {
  // 16 bytes encode as 22 characters + "=="; the last character carries 4 unused bits that must
  // be zero. Setting one gives another string for the same bytes, which strict parsing refuses.
  const std::string encoded = quick_hash("pw");
  auto fields = split(encoded);
  std::string& salt = fields[4];
  ASSERT_EQ(salt.substr(22), "==");
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto index = alphabet.find(salt[21]);
  ASSERT_EQ(index % 16, 0u);
  salt[21] = alphabet[index + 1];
  EXPECT_FALSE(verify_password("pw", join(fields)));
}

TEST(PasswordHash, NeedsRehashBelowTheDefaultStrength) {
  EXPECT_TRUE(needs_rehash(quick_hash("pw")));
  EXPECT_TRUE(needs_rehash("$argon2id$v=19$m=65536,t=3,p=4$abc$def"));
  EXPECT_TRUE(needs_rehash(""));
}

TEST(PasswordHash, BurnVerifyTimeCostsMoreThanAMinimumStrengthVerify) {
  // The default strength is 21 times the minimum; a factor of 2 leaves room for a busy machine.
  using Clock = std::chrono::steady_clock;
  const std::string weak = quick_hash("pw");
  auto start = Clock::now();
  EXPECT_TRUE(verify_password("pw", weak));
  const auto verify_time = Clock::now() - start;
  start = Clock::now();
  burn_verify_time("pw");
  const auto burn_time = Clock::now() - start;
  EXPECT_GT(burn_time, 2 * verify_time);
}

}  // namespace
}  // namespace arkmq::acl
