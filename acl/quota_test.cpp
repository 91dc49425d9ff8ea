// Tests of the quota model: field table, value checks, and resolve_quota's precedence.
#include "acl/quota.hpp"

#include <gtest/gtest.h>

#include <set>

namespace arkmq::acl {
namespace {

QuotaSetting setting(QuotaScope scope, std::string name, QuotaLimits limits) {
  return QuotaSetting{scope, std::move(name), limits};
}

QuotaLimits rate(std::uint64_t msgs_per_s) {
  QuotaLimits limits;
  limits.msgs_per_s = msgs_per_s;
  return limits;
}

TEST(QuotaFields, EveryFieldHasAUniqueKeyAndOptionAndMapsToItsMember) {
  std::set<std::string_view> keys;
  std::set<std::string_view> options;
  QuotaLimits limits;
  std::uint64_t value = 1;
  for (const QuotaFieldInfo& info : quota_fields()) {
    EXPECT_TRUE(keys.insert(info.key).second) << info.key;
    EXPECT_TRUE(options.insert(info.option).second) << info.option;
    EXPECT_EQ(quota_field_from_key(info.key), info.field);
    limits[info.field] = value++;
  }
  EXPECT_EQ(keys.size(), kQuotaFieldCount);
  EXPECT_EQ(limits.msgs_per_s, 1U);
  EXPECT_EQ(limits.max_retained_bytes, kQuotaFieldCount);
  EXPECT_FALSE(quota_field_from_key("msgs-per-s").has_value());
}

TEST(QuotaFields, ArkmqctlNamesFollowTheIssue) {
  EXPECT_EQ(quota_field_info(QuotaField::msgs_burst).option, "burst");
  EXPECT_EQ(quota_field_info(QuotaField::bytes_burst).option, "bytes-burst");
  EXPECT_EQ(quota_field_info(QuotaField::max_inflight).option, "max-inflight");
}

TEST(QuotaLimitsTest, EmptyOnlyWhenNoFieldIsSet) {
  QuotaLimits limits;
  EXPECT_TRUE(limits.empty());
  limits.max_connections = 0;
  EXPECT_FALSE(limits.empty());
}

TEST(QuotaScopeNames, RoundTrip) {
  for (QuotaScope scope : {QuotaScope::default_scope, QuotaScope::role, QuotaScope::user}) {
    EXPECT_EQ(quota_scope_from_name(quota_scope_name(scope)), scope);
  }
  EXPECT_FALSE(quota_scope_from_name("client").has_value());
  EXPECT_EQ(quota_setting_label(QuotaScope::role, "ops"), "role ops");
  EXPECT_EQ(quota_setting_label(QuotaScope::default_scope, ""), "default");
}

TEST(CheckQuotaValue, RefusesAZeroBurstAndValuesAboveTheFieldsMaximum) {
  EXPECT_EQ(check_quota_value(QuotaField::msgs_per_s, 0), "");  // 0 = unlimited
  EXPECT_NE(check_quota_value(QuotaField::msgs_burst, 0), "");
  EXPECT_EQ(check_quota_value(QuotaField::msgs_burst, 1), "");
  EXPECT_EQ(check_quota_value(QuotaField::max_inflight, 65535), "");
  EXPECT_NE(check_quota_value(QuotaField::max_inflight, 65536).find("at most 65535"),
            std::string::npos);
  EXPECT_NE(check_quota_value(QuotaField::max_packet_size, 300'000'000), "");
  EXPECT_NE(check_quota_value(QuotaField::bytes_per_s, 5'000'000'000ULL), "");
}

TEST(ResolveQuota, NothingSetIsUnlimitedFromTheBuiltIn) {
  const EffectiveQuota quota = resolve_quota({}, "alice", {"ops"});
  for (const QuotaFieldInfo& info : quota_fields()) {
    EXPECT_TRUE(quota[info.field].is_unlimited()) << info.key;
  }
  EXPECT_EQ(quota[QuotaField::max_connections].source, "built-in: unlimited");
  EXPECT_EQ(quota[QuotaField::msgs_burst].source, "built-in: one second of msgs-per-s");
}

TEST(ResolveQuota, UserBeatsRoleBeatsDefaultPerField) {
  QuotaLimits defaults = rate(10);
  defaults.max_connections = 2;
  defaults.max_subscriptions = 50;
  QuotaLimits role = rate(100);
  role.max_connections = 5;
  QuotaLimits user;
  user.max_connections = 1;
  const std::vector<QuotaSetting> settings = {
      setting(QuotaScope::default_scope, "", defaults), setting(QuotaScope::role, "ops", role),
      setting(QuotaScope::user, "alice", user)};

  const EffectiveQuota quota = resolve_quota(settings, "alice", {"ops"});
  EXPECT_EQ(quota[QuotaField::max_connections].value, 1U);
  EXPECT_EQ(quota[QuotaField::max_connections].source, "user alice");
  EXPECT_EQ(quota[QuotaField::msgs_per_s].value, 100U);
  EXPECT_EQ(quota[QuotaField::msgs_per_s].source, "role ops");
  EXPECT_EQ(quota[QuotaField::max_subscriptions].value, 50U);
  EXPECT_EQ(quota[QuotaField::max_subscriptions].source, "default");
  EXPECT_EQ(quota[QuotaField::max_packet_size].source, "built-in: unlimited");
}

TEST(ResolveQuota, SettingsOfOtherUsersAndRolesDoNotApply) {
  const std::vector<QuotaSetting> settings = {setting(QuotaScope::role, "ops", rate(1)),
                                              setting(QuotaScope::user, "bob", rate(2))};
  const EffectiveQuota quota = resolve_quota(settings, "alice", {"viewers"});
  EXPECT_TRUE(quota[QuotaField::msgs_per_s].is_unlimited());
}

TEST(ResolveQuota, SeveralRolesGiveTheLargestValue) {
  const std::vector<QuotaSetting> settings = {setting(QuotaScope::role, "a", rate(10)),
                                              setting(QuotaScope::role, "b", rate(30)),
                                              setting(QuotaScope::role, "c", rate(20))};
  const EffectiveQuota quota = resolve_quota(settings, "alice", {"c", "a", "b"});
  EXPECT_EQ(quota[QuotaField::msgs_per_s].value, 30U);
  EXPECT_EQ(quota[QuotaField::msgs_per_s].source, "role b");
}

TEST(ResolveQuota, AnUnlimitedRoleBeatsEveryNumber) {
  const std::vector<QuotaSetting> settings = {setting(QuotaScope::role, "a", rate(0)),
                                              setting(QuotaScope::role, "b", rate(1000))};
  const EffectiveQuota quota = resolve_quota(settings, "alice", {"b", "a"});
  EXPECT_TRUE(quota[QuotaField::msgs_per_s].is_unlimited());
  EXPECT_EQ(quota[QuotaField::msgs_per_s].source, "role a");
}

TEST(ResolveQuota, EqualRoleValuesNameTheFirstRoleByName) {
  const std::vector<QuotaSetting> settings = {setting(QuotaScope::role, "zeta", rate(5)),
                                              setting(QuotaScope::role, "alpha", rate(5))};
  EXPECT_EQ(resolve_quota(settings, "u", {"zeta", "alpha"})[QuotaField::msgs_per_s].source,
            "role alpha");
}

TEST(ResolveQuota, UserZeroMeansUnlimitedOverADefault) {
  const std::vector<QuotaSetting> settings = {setting(QuotaScope::default_scope, "", rate(10)),
                                              setting(QuotaScope::user, "vip", rate(0))};
  const EffectiveQuota quota = resolve_quota(settings, "vip", {});
  EXPECT_TRUE(quota[QuotaField::msgs_per_s].is_unlimited());
  EXPECT_EQ(quota[QuotaField::msgs_per_s].source, "user vip");
}

TEST(ResolveQuota, AnUnsetBurstIsOneSecondOfTheEffectiveRate) {
  QuotaLimits defaults;
  defaults.bytes_per_s = 4096;
  defaults.msgs_per_s = 10;
  QuotaLimits user;
  user.msgs_burst = 50;
  const std::vector<QuotaSetting> settings = {setting(QuotaScope::default_scope, "", defaults),
                                              setting(QuotaScope::user, "alice", user)};
  const EffectiveQuota quota = resolve_quota(settings, "alice", {});
  EXPECT_EQ(quota[QuotaField::msgs_burst].value, 50U);
  EXPECT_EQ(quota[QuotaField::msgs_burst].source, "user alice");
  EXPECT_EQ(quota[QuotaField::bytes_burst].value, 4096U);
  EXPECT_EQ(quota[QuotaField::bytes_burst].source, "built-in: one second of bytes-per-s");
}

TEST(ResolveQuota, AnEmptyUserMatchesNoUserSetting) {
  const std::vector<QuotaSetting> settings = {setting(QuotaScope::user, "", rate(3)),
                                              setting(QuotaScope::role, "ops", rate(7))};
  const EffectiveQuota quota = resolve_quota(settings, "", {"ops"});
  EXPECT_EQ(quota[QuotaField::msgs_per_s].value, 7U);
}

}  // namespace
}  // namespace arkmq::acl
