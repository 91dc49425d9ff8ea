// Tests for CallQuota: per-caller and total call rates per service.
#include "broker/services/call_quota.hpp"

#include <gtest/gtest.h>

namespace arkmq::services {
namespace {

using std::chrono::milliseconds;

const TimePoint kT0{};

TEST(CallQuota, ServicesWithoutLimitsAlwaysPass) {
  CallQuota quota;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(quota.check("plc", "alice", kT0), ServiceStatus::ok);
  EXPECT_EQ(quota.tracked_callers(), 0u);
}

TEST(CallQuota, PerCallerRateRefusesPastTheBurstAndRefills) {
  CallQuota quota;
  quota.set_limits("plc", CallRateLimits{2, 3, 0, 0});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(quota.check("plc", "alice", kT0), ServiceStatus::ok);
  EXPECT_EQ(quota.check("plc", "alice", kT0), ServiceStatus::quota_exceeded);
  EXPECT_EQ(quota.check("plc", "bob", kT0), ServiceStatus::ok);  // another caller's bucket
  EXPECT_EQ(quota.check("plc", "alice", kT0 + milliseconds(499)), ServiceStatus::quota_exceeded);
  EXPECT_EQ(quota.check("plc", "alice", kT0 + milliseconds(500)), ServiceStatus::ok);
  EXPECT_EQ(quota.check("other", "alice", kT0), ServiceStatus::ok);  // per service
}

TEST(CallQuota, SmallTimeStepsAddUp) {
  CallQuota quota;
  quota.set_limits("plc", CallRateLimits{10, 1, 0, 0});
  EXPECT_EQ(quota.check("plc", "a", kT0), ServiceStatus::ok);
  TimePoint now = kT0;
  int passed = 0;
  for (int i = 0; i < 1000; ++i) {  // 1 s in 1 ms steps: 10 calls at 10/s
    now += milliseconds(1);
    if (quota.check("plc", "a", now) == ServiceStatus::ok) ++passed;
  }
  EXPECT_EQ(passed, 10);
}

TEST(CallQuota, TotalRateIsSharedByAllCallersAndRefusalsCostNothing) {
  CallQuota quota;
  quota.set_limits("plc", CallRateLimits{1, 1, 2, 2});
  EXPECT_EQ(quota.check("plc", "a", kT0), ServiceStatus::ok);
  EXPECT_EQ(quota.check("plc", "a", kT0), ServiceStatus::quota_exceeded);  // a's own bucket
  EXPECT_EQ(quota.check("plc", "b", kT0), ServiceStatus::ok);  // total not charged by a's refusal
  EXPECT_EQ(quota.check("plc", "c", kT0), ServiceStatus::quota_exceeded);  // total empty
  // c's refused call did not charge c's bucket: once the total refills, c passes.
  EXPECT_EQ(quota.check("plc", "c", kT0 + milliseconds(500)), ServiceStatus::ok);
}

TEST(CallQuota, TrackedCallersAreBoundedAndFullBucketsAreDropped) {
  CallQuota quota(2);
  quota.set_limits("plc", CallRateLimits{1, 1, 0, 0});
  EXPECT_EQ(quota.check("plc", "a", kT0), ServiceStatus::ok);
  EXPECT_EQ(quota.check("plc", "b", kT0), ServiceStatus::ok);
  EXPECT_EQ(quota.check("plc", "c", kT0), ServiceStatus::quota_exceeded);  // all in use
  EXPECT_EQ(quota.check("plc", "c", kT0 + std::chrono::seconds(1)), ServiceStatus::ok);
  EXPECT_LE(quota.tracked_callers(), 2u);
}

TEST(CallQuota, ClearingLimitsStopsTracking) {
  CallQuota quota;
  quota.set_limits("plc", CallRateLimits{1, 1, 0, 0});
  EXPECT_EQ(quota.check("plc", "a", kT0), ServiceStatus::ok);
  quota.set_limits("plc", CallRateLimits{});
  EXPECT_EQ(quota.check("plc", "a", kT0), ServiceStatus::ok);
  EXPECT_EQ(quota.tracked_callers(), 0u);
}

TEST(CallQuota, DefaultLimitsApplyToServicesWithoutTheirOwn) {
  CallQuota quota;
  quota.set_default_limits(CallRateLimits{1, 1, 0, 0});
  quota.set_limits("free", CallRateLimits{});  // explicitly unlimited
  quota.set_limits("fast", CallRateLimits{10, 10, 0, 0});
  EXPECT_EQ(quota.check("plc", "a", kT0), ServiceStatus::ok);
  EXPECT_EQ(quota.check("plc", "a", kT0), ServiceStatus::quota_exceeded);
  EXPECT_EQ(quota.check("plc", "b", kT0), ServiceStatus::ok);  // per caller
  for (int i = 0; i < 5; ++i) EXPECT_EQ(quota.check("free", "a", kT0), ServiceStatus::ok);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(quota.check("fast", "a", kT0), ServiceStatus::ok);
}

}  // namespace
}  // namespace arkmq::services
