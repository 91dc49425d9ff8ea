// Tests of ConfigStore's quotas: set merges, unset, checks, admin-change rows, the role trigger,
// and migrating a version-1 file to version 2 with its data kept. Owned by the flow-control
// engineer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/config_store.hpp"
#include "storage/config_store_impl.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

using acl::QuotaField;
using acl::QuotaScope;
using nlohmann::json;

const ChangeContext kWho{"alice-admin", "quota set"};

acl::QuotaSetting quota(QuotaScope scope, std::string name, QuotaField field,
                        std::uint64_t value) {
  acl::QuotaSetting setting{scope, std::move(name), {}};
  setting.limits[field] = value;
  return setting;
}

class ConfigStoreQuota : public ::testing::Test {
 protected:
  ConfigStore open() {
    auto store = ConfigStore::open(path_);
    if (!store) throw std::runtime_error(store.error().message);
    return std::move(*store);
  }
  static json last_details(const ConfigStore& store) {
    auto changes = store.admin_changes_since(0, 1000).value();
    if (changes.empty()) throw std::runtime_error("no admin change");
    return json::parse(changes.back().details);
  }
  static std::size_t change_count(const ConfigStore& store) {
    return store.admin_changes_since(0, 1000).value().size();
  }

  test::TempDir dir_;
  std::string path_ = config_db_path(dir_.path());
};

TEST_F(ConfigStoreQuota, SetMergesFieldsAndLoadOrdersDefaultRolesUsers) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_role("sensors", kWho));
  ASSERT_TRUE(store.set_quota(quota(QuotaScope::user, "zed", QuotaField::max_connections, 1), kWho));
  ASSERT_TRUE(store.set_quota(quota(QuotaScope::role, "sensors", QuotaField::msgs_per_s, 10), kWho));
  ASSERT_TRUE(store.set_quota(quota(QuotaScope::default_scope, "", QuotaField::msgs_per_s, 5), kWho));
  auto merged =
      store.set_quota(quota(QuotaScope::role, "sensors", QuotaField::msgs_burst, 20), kWho);
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(merged->limits.msgs_per_s, 10U);
  EXPECT_EQ(merged->limits.msgs_burst, 20U);

  const auto data = store.load().value();
  ASSERT_EQ(data.quotas.size(), 3U);
  EXPECT_EQ(data.quotas[0].scope, QuotaScope::default_scope);
  EXPECT_EQ(data.quotas[0].limits.msgs_per_s, 5U);
  EXPECT_EQ(data.quotas[1], *merged);
  EXPECT_EQ(data.quotas[2].name, "zed");
  EXPECT_EQ(data.quotas[2].limits.max_connections, 1U);
  EXPECT_FALSE(data.quotas[2].limits.msgs_per_s.has_value());
}

TEST_F(ConfigStoreQuota, SetReplacesAValueAndRecordsThePreviousOne) {
  ConfigStore store = open();
  ASSERT_TRUE(store.set_quota(quota(QuotaScope::user, "alice", QuotaField::max_inflight, 10), kWho));
  ASSERT_TRUE(store.set_quota(quota(QuotaScope::user, "alice", QuotaField::max_inflight, 0), kWho));
  EXPECT_EQ(store.load().value().quotas.at(0).limits.max_inflight, 0U);
  const json details = last_details(store);
  EXPECT_EQ(details["scope"], "user");
  EXPECT_EQ(details["name"], "alice");
  EXPECT_EQ(details["set"]["max_inflight"], 0);
  EXPECT_EQ(details["previous"]["max_inflight"], 10);
}

TEST_F(ConfigStoreQuota, SetRefusesUnknownRolesBadNamesBadValuesAndNothingToSet) {
  ConfigStore store = open();
  const auto expect_invalid = [&](const acl::QuotaSetting& setting) {
    auto r = store.set_quota(setting, kWho);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Error::Kind::invalid) << r.error().message;
  };
  expect_invalid(quota(QuotaScope::role, "ghosts", QuotaField::msgs_per_s, 1));
  expect_invalid(quota(QuotaScope::user, "a+b", QuotaField::msgs_per_s, 1));
  expect_invalid(quota(QuotaScope::default_scope, "x", QuotaField::msgs_per_s, 1));
  expect_invalid(quota(QuotaScope::user, "alice", QuotaField::msgs_burst, 0));
  expect_invalid(quota(QuotaScope::user, "alice", QuotaField::max_inflight, 70000));
  expect_invalid(acl::QuotaSetting{QuotaScope::user, "alice", {}});
  EXPECT_EQ(change_count(store), 0U);
  EXPECT_TRUE(store.load().value().quotas.empty());
}

TEST_F(ConfigStoreQuota, AUserNeedNotBeStored) {
  ConfigStore store = open();
  // A certificate principal: no users row.
  EXPECT_TRUE(store.set_quota(quota(QuotaScope::user, "edge-7", QuotaField::msgs_per_s, 3), kWho));
}

TEST_F(ConfigStoreQuota, UnsetRemovesChosenFieldsOrAllAndRecordsThem) {
  ConfigStore store = open();
  acl::QuotaSetting setting{QuotaScope::user, "alice", {}};
  setting.limits.msgs_per_s = 10;
  setting.limits.msgs_burst = 20;
  setting.limits.max_connections = 2;
  ASSERT_TRUE(store.set_quota(setting, kWho));

  auto removed = store.unset_quota(QuotaScope::user, "alice", {QuotaField::msgs_burst},
                                   {"bob", "quota unset"});
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(removed->msgs_burst, 20U);
  EXPECT_FALSE(removed->msgs_per_s.has_value());
  EXPECT_EQ(last_details(store)["removed"], json({{"msgs_burst", 20}}));
  auto limits = store.load().value().quotas.at(0).limits;
  EXPECT_EQ(limits.msgs_per_s, 10U);
  EXPECT_FALSE(limits.msgs_burst.has_value());

  removed = store.unset_quota(QuotaScope::user, "alice", {}, {"bob", "quota unset"});
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->msgs_per_s, 10U);
  EXPECT_EQ(removed->max_connections, 2U);
  EXPECT_TRUE(store.load().value().quotas.empty());
}

TEST_F(ConfigStoreQuota, UnsetOfNothingSetIsNotFoundAndChangesNothing) {
  ConfigStore store = open();
  ASSERT_TRUE(store.set_quota(quota(QuotaScope::user, "alice", QuotaField::msgs_per_s, 1), kWho));
  const std::size_t before = change_count(store);
  auto r = store.unset_quota(QuotaScope::user, "alice", {QuotaField::max_queued}, kWho);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, Error::Kind::not_found);
  r = store.unset_quota(QuotaScope::default_scope, "", {}, kWho);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, Error::Kind::not_found);
  EXPECT_EQ(change_count(store), before);
}

TEST_F(ConfigStoreQuota, RemovingARoleRemovesItsLimits) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_role("sensors", kWho));
  ASSERT_TRUE(store.set_quota(quota(QuotaScope::role, "sensors", QuotaField::msgs_per_s, 1), kWho));
  ASSERT_TRUE(store.remove_role("sensors", kWho));
  EXPECT_TRUE(store.load().value().quotas.empty());
  // A new role of the same name starts without the old limits.
  ASSERT_TRUE(store.add_role("sensors", kWho));
  EXPECT_TRUE(store.load().value().quotas.empty());
}

TEST_F(ConfigStoreQuota, ReadOnlyStoreRefusesChanges) {
  { open(); }
  auto store = ConfigStore::open(path_, ConfigStore::Mode::read_only);
  ASSERT_TRUE(store) << store.error().message;
  auto r = store->set_quota(quota(QuotaScope::user, "alice", QuotaField::msgs_per_s, 1), kWho);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, Error::Kind::invalid);
}

TEST_F(ConfigStoreQuota, MigratesAVersion1FileToVersion2KeepingItsData) {
  // A version-1 file, as the previous release wrote it: only the first migration step.
  {
    auto db = Database::open(path_);
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(migrate(*db, config_detail::config_migrations().first(1)));
    ASSERT_TRUE(db->exec("INSERT INTO roles(name) VALUES('ops');"
                         "INSERT INTO users(name, password_hash) VALUES('alice', 'h');"
                         "INSERT INTO user_roles(user, role) VALUES('alice', 'ops');"
                         "INSERT INTO rules(subject, subject_value, actions, topic, effect, "
                         "priority) VALUES('role', 'ops', 1, 'a/#', 'allow', 0);"));
    ASSERT_EQ(db->query_int64("PRAGMA user_version").value(), 1);
  }
  // A read-only open does not migrate: it asks for arkmqctl.
  auto read_only = ConfigStore::open(path_, ConfigStore::Mode::read_only);
  ASSERT_FALSE(read_only);
  EXPECT_EQ(read_only.error().kind, Error::Kind::invalid);

  ConfigStore store = open();
  auto data = store.load();
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->users.size(), 1U);
  EXPECT_EQ(data->users[0].roles, std::vector<std::string>{"ops"});
  ASSERT_EQ(data->rules.size(), 1U);
  EXPECT_EQ(data->rules[0].topic, "a/#");
  EXPECT_TRUE(data->quotas.empty());
  ASSERT_TRUE(store.set_quota(quota(QuotaScope::role, "ops", QuotaField::msgs_per_s, 9), kWho));
  EXPECT_EQ(store.load().value().quotas.size(), 1U);
  auto db = Database::open(path_);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->query_int64("PRAGMA user_version").value(), 2);
}

TEST_F(ConfigStoreQuota, LoadSkipsFieldsOfANewerBuildAndRefusesBadScopes) {
  { open(); }
  {
    auto db = Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("INSERT INTO quotas VALUES('user', 'alice', 'max_future_thing', 3);"
                         "INSERT INTO quotas VALUES('user', 'alice', 'max_queued', 4);"));
  }
  ConfigStore store = open();
  auto data = store.load();
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->quotas.size(), 1U);
  EXPECT_EQ(data->quotas[0].limits.max_queued, 4U);
  // The schema's CHECK refuses a bad scope or a negative value outright.
  auto db = Database::open(path_);
  ASSERT_TRUE(db);
  EXPECT_FALSE(db->exec("INSERT INTO quotas VALUES('client', 'c', 'max_queued', 4)"));
  EXPECT_FALSE(db->exec("INSERT INTO quotas VALUES('user', 'c', 'max_queued', -1)"));
}

}  // namespace
}  // namespace arkmq::storage
