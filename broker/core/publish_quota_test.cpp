// Tests of PublishQuota: message and byte buckets, verdicts, reason codes, counters, changes.
#include "broker/core/publish_quota.hpp"

#include <gtest/gtest.h>

namespace arkmq::core {
namespace {

using namespace std::chrono_literals;
using Clock = PublishQuota::Clock;

const Clock::time_point kStart{std::chrono::hours(1)};

TEST(PublishQuota, UnlimitedByDefault) {
  PublishQuota quota;
  EXPECT_TRUE(quota.is_unlimited());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(quota.check_publish(1'000'000, kStart), QuotaVerdict::ok);
  }
  EXPECT_EQ(quota.counters().checked, 1000U);
  EXPECT_EQ(quota.counters().rate_exceeded + quota.counters().quota_exceeded, 0U);
}

TEST(PublishQuota, MessageRateExceededOnceTheMessageBurstIsSpent) {
  PublishQuota quota({.msgs_per_s = 2, .msgs_burst = 3}, kStart);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(quota.check_publish(10, kStart), QuotaVerdict::ok);
  EXPECT_EQ(quota.check_publish(10, kStart), QuotaVerdict::rate_exceeded);
  EXPECT_EQ(quota.check_publish(10, kStart + 500ms), QuotaVerdict::ok);
  EXPECT_EQ(quota.counters().rate_exceeded, 1U);
  EXPECT_EQ(quota.counters().checked, 5U);
}

TEST(PublishQuota, ByteQuotaExceededOnceTheByteBurstIsSpent) {
  PublishQuota quota({.bytes_per_s = 1000, .bytes_burst = 1000}, kStart);
  EXPECT_EQ(quota.check_publish(600, kStart), QuotaVerdict::ok);
  EXPECT_EQ(quota.check_publish(600, kStart), QuotaVerdict::quota_exceeded);
  EXPECT_EQ(quota.check_publish(400, kStart), QuotaVerdict::ok);
  EXPECT_EQ(quota.check_publish(100, kStart + 100ms), QuotaVerdict::ok);
  EXPECT_EQ(quota.counters().quota_exceeded, 1U);
}

TEST(PublishQuota, ARefusedMessageChargesNeitherBucket) {
  PublishQuota quota({.msgs_per_s = 10, .msgs_burst = 2, .bytes_per_s = 100, .bytes_burst = 100},
                     kStart);
  ASSERT_EQ(quota.check_publish(90, kStart), QuotaVerdict::ok);
  // Refused for bytes: the message token it would have used is still there.
  EXPECT_EQ(quota.check_publish(50, kStart), QuotaVerdict::quota_exceeded);
  EXPECT_EQ(quota.check_publish(10, kStart), QuotaVerdict::ok);
  // Refused for the rate: the bytes stay too.
  EXPECT_EQ(quota.check_publish(1, kStart), QuotaVerdict::rate_exceeded);
}

TEST(PublishQuota, AnEmptyMessageBucketIsReportedFirst) {
  PublishQuota quota({.msgs_per_s = 1, .msgs_burst = 1, .bytes_per_s = 10, .bytes_burst = 10},
                     kStart);
  ASSERT_EQ(quota.check_publish(10, kStart), QuotaVerdict::ok);
  EXPECT_EQ(quota.check_publish(10, kStart), QuotaVerdict::rate_exceeded);
}

TEST(PublishQuota, VerdictsMapToTheMqtt5ReasonCodes) {
  EXPECT_EQ(reason_code(QuotaVerdict::ok), protocol::ReasonCode::success);
  EXPECT_EQ(static_cast<int>(reason_code(QuotaVerdict::rate_exceeded)), 0x96);
  EXPECT_EQ(static_cast<int>(reason_code(QuotaVerdict::quota_exceeded)), 0x97);
}

TEST(PublishQuota, NewLimitsApplyAtOnceAndKeepEarnedTokensUpToTheNewBurst) {
  PublishQuota quota({.msgs_per_s = 100, .msgs_burst = 100}, kStart);
  ASSERT_EQ(quota.check_publish(1, kStart), QuotaVerdict::ok);
  quota.set_limits({.msgs_per_s = 1, .msgs_burst = 2}, kStart);
  EXPECT_EQ(quota.limits().msgs_burst, 2U);
  EXPECT_EQ(quota.check_publish(1, kStart), QuotaVerdict::ok);
  EXPECT_EQ(quota.check_publish(1, kStart), QuotaVerdict::ok);
  EXPECT_EQ(quota.check_publish(1, kStart), QuotaVerdict::rate_exceeded);
  quota.set_limits({}, kStart);
  EXPECT_TRUE(quota.is_unlimited());
  EXPECT_EQ(quota.check_publish(1, kStart), QuotaVerdict::ok);
}

}  // namespace
}  // namespace arkmq::core
