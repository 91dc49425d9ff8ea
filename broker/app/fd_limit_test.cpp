// fd_limit: the soft limit chosen, the descriptors max_connections needs, and the warning.
#include "broker/app/fd_limit.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace arkmq::app {
namespace {

constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();

TEST(FdLimit, SoftLimitIsRaisedToTheHardLimit) {
  EXPECT_EQ(fd_soft_target({1024, 20000}, 1 << 20), 20000U);
}

TEST(FdLimit, UnlimitedHardLimitRaisesToTheKernelCeiling) {
  EXPECT_EQ(fd_soft_target({1024, unlimited}, 1048576), 1048576U);
}

TEST(FdLimit, ASoftLimitAlreadyAtOrAboveTheTargetIsLeftAlone) {
  EXPECT_FALSE(fd_soft_target({20000, 20000}, 1 << 20));
  EXPECT_FALSE(fd_soft_target({unlimited, unlimited}, 1 << 20));
}

TEST(FdLimit, UnlimitedConnectionsStateNoNeed) {
  EXPECT_EQ(fd_needed(0, 2, 4), 0U);
  EXPECT_FALSE(fd_limit_warning(1024, fd_needed(0, 2, 4), 0));
}

TEST(FdLimit, NeedIsOnePerConnectionPlusTheReserve) {
  EXPECT_EQ(fd_needed(100000, 2, 4), 100000U + 2 + fd_reserve_base + 4 * fd_reserve_per_worker);
  // workers = 0 (one per CPU) is counted as two workers.
  EXPECT_EQ(fd_needed(1000, 1, 0), 1000U + 1 + fd_reserve_base + 2 * fd_reserve_per_worker);
}

TEST(FdLimit, HardLimitBelowTheNeedIsWarnedWithTheReachableCount) {
  const std::uint64_t needed = fd_needed(100000, 1, 2);
  const auto warning = fd_limit_warning(20000, needed, 100000);
  ASSERT_TRUE(warning);
  EXPECT_NE(warning->find("RLIMIT_NOFILE 20000"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("max_connections = 100000"), std::string::npos) << *warning;
  EXPECT_NE(warning->find(std::to_string(needed) + " descriptors"), std::string::npos) << *warning;
  const std::uint64_t reachable = 20000 - (needed - 100000);
  EXPECT_NE(warning->find("about " + std::to_string(reachable)), std::string::npos) << *warning;
}

TEST(FdLimit, HardLimitAtOrAboveTheNeedIsNotWarned) {
  const std::uint64_t needed = fd_needed(10000, 1, 2);
  EXPECT_FALSE(fd_limit_warning(needed, needed, 10000));
  EXPECT_FALSE(fd_limit_warning(unlimited, needed, 10000));
}

}  // namespace
}  // namespace arkmq::app
