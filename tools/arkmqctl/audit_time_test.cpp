// parse_audit_time / format_audit_time: RFC 3339 forms, offsets, fractions, relative times and
// the inputs that must be refused.
#include "tools/arkmqctl/audit_time.hpp"

#include <gtest/gtest.h>

namespace arkmq::ctl {
namespace {

constexpr std::int64_t kT0 = 1'795'802'400'000'000;  // 2026-11-27T18:00:00Z
constexpr std::int64_t kSecond = 1'000'000;

std::int64_t parsed(std::string_view text, std::int64_t now = kT0) {
  auto value = parse_audit_time(text, now);
  EXPECT_TRUE(value.has_value()) << text;
  return value.value_or(-1);
}

TEST(AuditTime, ParsesRfc3339InUtc) {
  EXPECT_EQ(parsed("2026-11-27T18:00:00Z"), kT0);
  EXPECT_EQ(parsed("2026-11-27t18:00:00z"), kT0);
  EXPECT_EQ(parsed("2026-11-27 18:00:00Z"), kT0);
  EXPECT_EQ(parsed("1970-01-01T00:00:00Z"), 0);
}

TEST(AuditTime, AppliesNumericOffsets) {
  EXPECT_EQ(parsed("2026-11-27T19:00:00+01:00"), kT0);
  EXPECT_EQ(parsed("2026-11-27T12:30:00-05:30"), kT0);
  EXPECT_EQ(parsed("2026-11-28T03:00:00+09:00"), kT0);
}

TEST(AuditTime, KeepsFractionsToTheMicrosecond) {
  EXPECT_EQ(parsed("2026-11-27T18:00:00.5Z"), kT0 + kSecond / 2);
  EXPECT_EQ(parsed("2026-11-27T18:00:00.000001Z"), kT0 + 1);
  EXPECT_EQ(parsed("2026-11-27T18:00:00.123456789Z"), kT0 + 123456);
}

TEST(AuditTime, ADateAloneIsMidnightUtc) {
  EXPECT_EQ(parsed("2026-11-27"), kT0 - 18 * 3600 * kSecond);
}

TEST(AuditTime, RelativeTimesCountBackFromNow) {
  EXPECT_EQ(parsed("now"), kT0);
  EXPECT_EQ(parsed("-10s"), kT0 - 10 * kSecond);
  EXPECT_EQ(parsed("-30m"), kT0 - 1800 * kSecond);
  EXPECT_EQ(parsed("-1h"), kT0 - 3600 * kSecond);
  EXPECT_EQ(parsed("-2d"), kT0 - 2 * 86400 * kSecond);
  EXPECT_EQ(parsed("-1w"), kT0 - 7 * 86400 * kSecond);
  EXPECT_EQ(parsed("-1h30m"), kT0 - 5400 * kSecond);
}

TEST(AuditTime, RefusesWhatIsNotATime) {
  for (const char* bad : {"", "yesterday", "-", "-1", "-1x", "1h", "+1h", "-h", "2026-13-01",
                          "2026-02-30", "2026-11-27T24:00:00Z", "2026-11-27T18:60:00Z",
                          "2026-11-27T18:00:00", "2026-11-27T18:00Z", "2026-11-27T18:00:00+0100",
                          "2026-11-27T18:00:00.Z", "2026-11-27T18:00:00Zjunk", "26-11-27",
                          "-99999999999h"}) {
    const auto value = parse_audit_time(bad, kT0);
    EXPECT_FALSE(value.has_value()) << bad;
    if (!value) {
      EXPECT_NE(value.error().find("RFC 3339"), std::string::npos);
    }
  }
}

TEST(AuditTime, FormatsUtcWithMicroseconds) {
  EXPECT_EQ(format_audit_time(kT0), "2026-11-27T18:00:00.000000Z");
  EXPECT_EQ(format_audit_time(kT0 + 1), "2026-11-27T18:00:00.000001Z");
  EXPECT_EQ(format_audit_time(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_audit_time(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(AuditTime, FormatAndParseRoundTrip) {
  for (const std::int64_t t : {kT0, kT0 + 987654, std::int64_t{951'782'400'123'456}}) {
    EXPECT_EQ(parsed(format_audit_time(t)), t);
  }
}

}  // namespace
}  // namespace arkmq::ctl
