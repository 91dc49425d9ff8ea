// Tests of ConfigStore's changes and reads: every change and its AdminChange row, conflicts,
// not_found, invalid names and roles, snapshot order. Files and connections:
// config_store_file_test. Owned by the config-store engineer.
#include "storage/config_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "storage/sqlite.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

using nlohmann::json;

const ChangeContext kWho{"alice-admin", "test change"};
constexpr char kHash[] = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$SECRETHASHSECRETHASH";

acl::Rule rule(acl::Subject subject, std::string value, std::string topic,
               acl::Effect effect = acl::Effect::allow, std::int32_t priority = 0,
               acl::ActionSet actions = acl::kAllActions) {
  acl::Rule r;
  r.subject = subject;
  r.subject_value = std::move(value);
  r.topic = std::move(topic);
  r.effect = effect;
  r.priority = priority;
  r.actions = actions;
  return r;
}

class ConfigStoreTest : public ::testing::Test {
 protected:
  ConfigStore open(ConfigStore::Mode mode = ConfigStore::Mode::read_write) {
    auto store = ConfigStore::open(path_, mode);
    if (!store) throw std::runtime_error(store.error().message);
    return std::move(*store);
  }
  // The newest AdminChange row, with its details parsed.
  static std::pair<AdminChange, json> last_change(const ConfigStore& store) {
    auto changes = store.admin_changes_since(0, 1000);
    if (!changes || changes->empty()) throw std::runtime_error("no admin change");
    return {changes->back(), json::parse(changes->back().details)};
  }
  static std::size_t change_count(const ConfigStore& store) {
    return store.admin_changes_since(0, 1000).value().size();
  }

  test::TempDir dir_;
  std::string path_ = config_db_path(dir_.path());
};

TEST(ConfigStorePaths, PutsBothDatabasesInTheDataDirectory) {
  EXPECT_EQ(config_db_path("/var/lib/arkmq"), "/var/lib/arkmq/arkmq.db");
  EXPECT_EQ(config_db_path("/var/lib/arkmq/"), "/var/lib/arkmq/arkmq.db");
  EXPECT_EQ(audit_db_path("data"), "data/audit.db");
}
TEST_F(ConfigStoreTest, AddUserStoresSortedRolesAndRecordsTheChangeWithoutTheHash) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_role("writers", kWho));
  ASSERT_TRUE(store.add_role("readers", kWho));
  acl::UserRecord user{"bob", kHash, {"writers", "readers", "writers"}, "bob-*"};
  const auto before = std::chrono::system_clock::now();
  auto added = store.add_user(user, ChangeContext{"root (sudo: carol)", "user add"});
  ASSERT_TRUE(added) << added.error().message;

  auto data = store.load().value();
  ASSERT_EQ(data.users.size(), 1u);
  EXPECT_EQ(data.users[0].name, "bob");
  EXPECT_EQ(data.users[0].password_hash, kHash);
  EXPECT_EQ(data.users[0].roles, (std::vector<std::string>{"readers", "writers"}));
  EXPECT_EQ(data.users[0].client_id_pattern, "bob-*");

  auto [change, details] = last_change(store);
  EXPECT_EQ(change.actor, "root (sudo: carol)");
  EXPECT_EQ(change.command, "user add");
  const auto time =
      std::chrono::system_clock::time_point(std::chrono::microseconds(change.time_us));
  EXPECT_GE(time, std::chrono::time_point_cast<std::chrono::microseconds>(before));
  EXPECT_LE(time, std::chrono::system_clock::now());
  EXPECT_EQ(details["user"], "bob");
  EXPECT_EQ(details["roles"], json({"readers", "writers"}));
  EXPECT_EQ(details["password"], "set");
  EXPECT_EQ(change.details.find("SECRETHASH"), std::string::npos) << change.details;
}

TEST_F(ConfigStoreTest, RefusesASecondUserWithTheSameNameAsConflict) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_user({"bob", "", {}, ""}, kWho));
  auto again = store.add_user({"bob", kHash, {}, ""}, kWho);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, Error::Kind::conflict);
  EXPECT_NE(again.error().message.find("bob"), std::string::npos);
  EXPECT_EQ(change_count(store), 1u);
}

TEST_F(ConfigStoreTest, RefusesAUserWithAnUnknownRoleAndWritesNothing) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_role("readers", kWho));
  auto added = store.add_user({"bob", "", {"readers", "admins"}, ""}, kWho);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().kind, Error::Kind::invalid);
  EXPECT_NE(added.error().message.find("unknown role 'admins'"), std::string::npos)
      << added.error().message;
  EXPECT_TRUE(store.load().value().users.empty());
  EXPECT_EQ(change_count(store), 1u);  // only the add_role
}

TEST_F(ConfigStoreTest, RefusesInvalidNames) {
  ConfigStore store = open();
  for (const char* bad : {"", "a/b", "a+b", "#", "$sys", "%u", "a*"}) {
    auto user = store.add_user({bad, "", {}, ""}, kWho);
    ASSERT_FALSE(user) << bad;
    EXPECT_EQ(user.error().kind, Error::Kind::invalid) << bad;
    auto role = store.add_role(bad, kWho);
    ASSERT_FALSE(role) << bad;
    EXPECT_EQ(role.error().kind, Error::Kind::invalid) << bad;
  }
  EXPECT_EQ(change_count(store), 0u);
}

TEST_F(ConfigStoreTest, RemoveUserDeletesItAndItsRolesOrSaysNotFound) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_role("r", kWho));
  ASSERT_TRUE(store.add_user({"bob", "", {"r"}, ""}, kWho));
  ASSERT_TRUE(store.remove_user("bob", ChangeContext{"admin", "user remove"}));
  EXPECT_TRUE(store.load().value().users.empty());
  auto [change, details] = last_change(store);
  EXPECT_EQ(change.command, "user remove");
  EXPECT_EQ(details["user"], "bob");
  auto missing = store.remove_user("bob", kWho);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Error::Kind::not_found);
  EXPECT_EQ(change_count(store), 3u);
}

TEST_F(ConfigStoreTest, SetPasswordHashRecordsOnlyThatThePasswordChanged) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_user({"bob", "", {}, ""}, kWho));
  ASSERT_TRUE(store.set_password_hash("bob", kHash, kWho));
  EXPECT_EQ(store.load().value().users.at(0).password_hash, kHash);
  auto [change, details] = last_change(store);
  EXPECT_EQ(details, json({{"user", "bob"}, {"password", "changed"}}));
  EXPECT_EQ(change.details.find("argon2"), std::string::npos);
  auto missing = store.set_password_hash("nobody", kHash, kWho);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Error::Kind::not_found);
}

TEST_F(ConfigStoreTest, SetUserRolesReplacesTheRolesAndRecordsBothLists) {
  ConfigStore store = open();
  for (const char* role : {"a", "b", "c"}) ASSERT_TRUE(store.add_role(role, kWho));
  ASSERT_TRUE(store.add_user({"bob", "", {"a", "b"}, ""}, kWho));
  ASSERT_TRUE(store.set_user_roles("bob", {"c", "a"}, kWho));
  EXPECT_EQ(store.load().value().users.at(0).roles, (std::vector<std::string>{"a", "c"}));
  auto [change, details] = last_change(store);
  EXPECT_EQ(details["roles"], json({"a", "c"}));
  EXPECT_EQ(details["previous_roles"], json({"a", "b"}));

  auto unknown = store.set_user_roles("bob", {"a", "zzz"}, kWho);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, Error::Kind::invalid);
  EXPECT_EQ(store.load().value().users.at(0).roles, (std::vector<std::string>{"a", "c"}));
  auto missing = store.set_user_roles("nobody", {"a"}, kWho);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Error::Kind::not_found);
}

TEST_F(ConfigStoreTest, AddRoleTwiceIsConflict) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_role("ops", kWho));
  EXPECT_EQ(last_change(store).second, json({{"role", "ops"}}));
  auto again = store.add_role("ops", kWho);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, Error::Kind::conflict);
}

TEST_F(ConfigStoreTest, RemoveRoleTakesItFromUsersAndDropsItsRulesAndGrants) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_role("ops", kWho));
  ASSERT_TRUE(store.add_role("dev", kWho));
  ASSERT_TRUE(store.add_user({"zed", "", {"ops", "dev"}, ""}, kWho));
  ASSERT_TRUE(store.add_user({"amy", "", {"ops"}, ""}, kWho));
  const auto ops_rule = store.add_rule(rule(acl::Subject::role, "ops", "ops/#"), kWho).value();
  const auto dev_rule = store.add_rule(rule(acl::Subject::role, "dev", "dev/#"), kWho).value();
  const auto grant =
      store.add_call_grant({0, acl::Subject::role, "ops", "restart", ""}, kWho).value();

  ASSERT_TRUE(store.remove_role("ops", kWho));
  auto data = store.load().value();
  EXPECT_EQ(data.roles, std::vector<std::string>{"dev"});
  ASSERT_EQ(data.users.size(), 2u);
  EXPECT_TRUE(data.users[0].roles.empty());  // amy
  EXPECT_EQ(data.users[1].roles, std::vector<std::string>{"dev"});
  ASSERT_EQ(data.rules.size(), 1u);
  EXPECT_EQ(data.rules[0].id, dev_rule);
  EXPECT_TRUE(data.call_grants.empty());
  auto details = last_change(store).second;
  EXPECT_EQ(details["removed_from_users"], json({"amy", "zed"}));
  EXPECT_EQ(details["removed_rules"], json({ops_rule}));
  EXPECT_EQ(details["removed_call_grants"], json({grant}));

  auto missing = store.remove_role("ops", kWho);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Error::Kind::not_found);
}

TEST_F(ConfigStoreTest, AddRuleReturnsItsIdAndRefusesAnIdenticalRule) {
  ConfigStore store = open();
  const acl::Rule r = rule(acl::Subject::user, "bob", "a/+/c", acl::Effect::deny, 5,
                           static_cast<acl::ActionSet>(acl::Action::publish));
  auto id = store.add_rule(r, kWho);
  ASSERT_TRUE(id) << id.error().message;
  auto details = last_change(store).second;
  EXPECT_EQ(details["rule"]["id"], *id);
  EXPECT_EQ(details["rule"]["topic"], "a/+/c");
  EXPECT_EQ(details["rule"]["effect"], "deny");

  auto duplicate = store.add_rule(r, kWho);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind, Error::Kind::conflict);
  EXPECT_NE(duplicate.error().message.find("id " + std::to_string(*id)), std::string::npos);

  acl::Rule other_priority = r;
  other_priority.priority = 6;
  EXPECT_TRUE(store.add_rule(other_priority, kWho));
  auto data = store.load().value();
  ASSERT_EQ(data.rules.size(), 2u);
  EXPECT_EQ(data.rules[0].id, *id);
  EXPECT_EQ(data.rules[0].subject, acl::Subject::user);
  EXPECT_EQ(data.rules[0].subject_value, "bob");
  EXPECT_EQ(data.rules[0].actions, static_cast<acl::ActionSet>(acl::Action::publish));
  EXPECT_EQ(data.rules[0].effect, acl::Effect::deny);
  EXPECT_EQ(data.rules[0].priority, 5);
  EXPECT_EQ(data.rules[1].priority, 6);
}

TEST_F(ConfigStoreTest, RefusesMalformedRules) {
  ConfigStore store = open();
  const std::vector<acl::Rule> bad{
      rule(acl::Subject::anyone, "", "t", acl::Effect::allow, 0, 0),  // no actions
      rule(acl::Subject::anyone, "", "t", acl::Effect::allow, 0, 8),  // unknown action bit
      rule(acl::Subject::anyone, "bob", "t"),                         // value for anyone
      rule(acl::Subject::anonymous, "x", "t"),                        // value for anonymous
      rule(acl::Subject::client, "", "t"),                            // no pattern
      rule(acl::Subject::user, "a/b", "t"),                           // bad user name
      rule(acl::Subject::role, "ghost", "t"),                         // unknown role
      rule(acl::Subject::anyone, "", ""),                             // no topic
  };
  for (const acl::Rule& r : bad) {
    auto id = store.add_rule(r, kWho);
    ASSERT_FALSE(id) << r.subject_value << " " << r.topic;
    EXPECT_EQ(id.error().kind, Error::Kind::invalid) << id.error().message;
  }
  EXPECT_TRUE(store.add_rule(rule(acl::Subject::client, "sensor-*", "s/%c/#"), kWho));
  EXPECT_TRUE(store.add_rule(rule(acl::Subject::anonymous, "", "public/#"), kWho));
  EXPECT_EQ(change_count(store), 2u);
}

TEST_F(ConfigStoreTest, RemoveRuleRecordsWhatTheRuleWasAndSaysNotFoundAfterwards) {
  ConfigStore store = open();
  const auto id = store.add_rule(rule(acl::Subject::anyone, "", "x/#"), kWho).value();
  ASSERT_TRUE(store.remove_rule(id, ChangeContext{"admin", "acl remove"}));
  EXPECT_TRUE(store.load().value().rules.empty());
  auto [change, details] = last_change(store);
  EXPECT_EQ(change.command, "acl remove");
  EXPECT_EQ(details["rule"]["id"], id);
  EXPECT_EQ(details["rule"]["topic"], "x/#");
  auto missing = store.remove_rule(id, kWho);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Error::Kind::not_found);
  // Ids are never reused, so an old "rule N" in a log keeps meaning one rule.
  EXPECT_GT(store.add_rule(rule(acl::Subject::anyone, "", "x/#"), kWho).value(), id);
}

TEST_F(ConfigStoreTest, CallGrantsAreAddedRemovedAndRefusedWhenDuplicateOrMalformed) {
  ConfigStore store = open();
  ASSERT_TRUE(store.add_role("ops", kWho));
  auto id = store.add_call_grant({0, acl::Subject::role, "ops", "restart", "now"}, kWho);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(last_change(store).second["call_grant"]["service"], "restart");
  auto whole = store.add_call_grant({0, acl::Subject::user, "bob", "restart", ""}, kWho);
  ASSERT_TRUE(whole);

  auto duplicate = store.add_call_grant({0, acl::Subject::role, "ops", "restart", "now"}, kWho);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind, Error::Kind::conflict);
  for (const acl::CallGrant& bad : {
           acl::CallGrant{0, acl::Subject::anyone, "", "restart", ""},
           acl::CallGrant{0, acl::Subject::role, "ghost", "restart", ""},
           acl::CallGrant{0, acl::Subject::user, "bob", "re/start", ""},
           acl::CallGrant{0, acl::Subject::user, "bob", "restart", "+"},
       }) {
    auto refused = store.add_call_grant(bad, kWho);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, Error::Kind::invalid) << refused.error().message;
  }

  auto data = store.load().value();
  ASSERT_EQ(data.call_grants.size(), 2u);
  EXPECT_EQ(data.call_grants[0].id, *id);
  EXPECT_EQ(data.call_grants[0].subject, acl::Subject::role);
  EXPECT_EQ(data.call_grants[0].method, "now");
  EXPECT_EQ(data.call_grants[1].method, "");

  ASSERT_TRUE(store.remove_call_grant(*id, kWho));
  EXPECT_EQ(last_change(store).second["call_grant"]["id"], *id);
  EXPECT_EQ(store.remove_call_grant(*id, kWho).error().kind, Error::Kind::not_found);
  EXPECT_EQ(store.load().value().call_grants.size(), 1u);
}

TEST_F(ConfigStoreTest, ServeGrantsAreAddedRemovedAndRefusedWhenDuplicate) {
  ConfigStore store = open();
  auto id = store.add_serve_grant({0, "node-1", "restart"}, kWho);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(last_change(store).second["serve_grant"]["node"], "node-1");
  auto duplicate = store.add_serve_grant({0, "node-1", "restart"}, kWho);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind, Error::Kind::conflict);
  EXPECT_EQ(store.add_serve_grant({0, "node/1", "restart"}, kWho).error().kind,
            Error::Kind::invalid);
  ASSERT_TRUE(store.add_serve_grant({0, "node-2", "restart"}, kWho));
  auto data = store.load().value();
  ASSERT_EQ(data.serve_grants.size(), 2u);
  EXPECT_EQ(data.serve_grants[0].node, "node-1");
  ASSERT_TRUE(store.remove_serve_grant(*id, kWho));
  EXPECT_EQ(store.remove_serve_grant(*id, kWho).error().kind, Error::Kind::not_found);
  EXPECT_EQ(store.load().value().serve_grants.at(0).node, "node-2");
}

TEST_F(ConfigStoreTest, LoadOrdersUsersAndRolesByNameAndRulesAndGrantsById) {
  ConfigStore store = open();
  for (const char* role : {"zeta", "alpha", "mid"}) ASSERT_TRUE(store.add_role(role, kWho));
  for (const char* user : {"carol", "alice", "bob"}) {
    ASSERT_TRUE(store.add_user({user, "", {"zeta", "alpha"}, ""}, kWho));
  }
  std::vector<std::int64_t> ids;
  for (const char* topic : {"z", "a", "m"}) {
    ids.push_back(store.add_rule(rule(acl::Subject::anyone, "", topic), kWho).value());
  }
  auto data = store.load().value();
  EXPECT_EQ(data.roles, (std::vector<std::string>{"alpha", "mid", "zeta"}));
  ASSERT_EQ(data.users.size(), 3u);
  EXPECT_EQ(data.users[0].name, "alice");
  EXPECT_EQ(data.users[1].name, "bob");
  EXPECT_EQ(data.users[2].name, "carol");
  for (const auto& user : data.users) {
    EXPECT_EQ(user.roles, (std::vector<std::string>{"alpha", "zeta"}));
  }
  ASSERT_EQ(data.rules.size(), 3u);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(data.rules[i].id, ids[i]);
  EXPECT_EQ(data.rules[0].topic, "z");
}

TEST_F(ConfigStoreTest, AdminChangesSinceReturnsTheNewerChangesOldestFirstUpToTheLimit) {
  ConfigStore store = open();
  for (const char* role : {"a", "b", "c", "d"}) ASSERT_TRUE(store.add_role(role, kWho));
  auto all = store.admin_changes_since(0, 100).value();
  ASSERT_EQ(all.size(), 4u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].id, all[i - 1].id);
  auto page = store.admin_changes_since(all[0].id, 2).value();
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, all[1].id);
  EXPECT_EQ(page[1].id, all[2].id);
  EXPECT_EQ(json::parse(page[1].details)["role"], "c");
  EXPECT_TRUE(store.admin_changes_since(all[3].id, 100).value().empty());
}

TEST_F(ConfigStoreTest, RefusesAChangeWithoutACommandName) {
  ConfigStore store = open();
  auto result = store.add_role("ops", ChangeContext{"admin", ""});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, Error::Kind::invalid);
  EXPECT_TRUE(store.load().value().roles.empty());
}
}  // namespace
}  // namespace arkmq::storage
