// Process tests of `arkmqctl quota`: set (merge), show (effective value and source), unset,
// list, JSON output, the admin log, and usage errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/config_store.hpp"
#include "tools/arkmqctl/ctl_runner.hpp"

namespace arkmq::ctl::test {
namespace {

class ArkmqctlQuota : public ::testing::Test, public CtlFixtureBase {
 protected:
  nlohmann::json show(const std::vector<std::string>& scope) const {
    std::vector<std::string> args = {"--json", "quota", "show"};
    args.insert(args.end(), scope.begin(), scope.end());
    const auto result = ctl(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out);
  }
  void expect_exit(const std::vector<std::string>& args, int code) const {
    const auto result = ctl(args);
    EXPECT_EQ(result.exit_code, code) << result.out << result.err;
    EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  }
  void set_ok(const std::vector<std::string>& args) const {
    std::vector<std::string> all = {"quota", "set"};
    all.insert(all.end(), args.begin(), args.end());
    const auto result = ctl(all);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
};

TEST_F(ArkmqctlQuota, ShowNamesTheSourceOfEachLimitUserOverRoleOverDefault) {
  add_role("sensors");
  add_user("alice", "pw", {"sensors"});
  set_ok({"--default", "--msgs-per-s", "10", "--max-connections", "2", "--max-queued", "100"});
  set_ok({"--role", "sensors", "--msgs-per-s", "100", "--max-connections", "5"});
  set_ok({"--user", "alice", "--max-connections", "1"});

  const auto json = show({"--user", "alice"});
  EXPECT_EQ(json["roles"], nlohmann::json::array({"sensors"}));
  EXPECT_EQ(json["limits"]["max_connections"]["value"], 1);
  EXPECT_EQ(json["limits"]["max_connections"]["source"], "user alice");
  EXPECT_EQ(json["limits"]["msgs_per_s"]["value"], 100);
  EXPECT_EQ(json["limits"]["msgs_per_s"]["source"], "role sensors");
  EXPECT_EQ(json["limits"]["max_queued"]["source"], "default");
  EXPECT_TRUE(json["limits"]["max_packet_size"]["value"].is_null());
  EXPECT_EQ(json["limits"]["max_packet_size"]["source"], "built-in: unlimited");
  EXPECT_EQ(json["limits"]["msgs_burst"]["value"], 100);

  const auto text = ctl({"quota", "show", "--user", "alice"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("limits of user alice (roles: sensors)"), std::string::npos);
  EXPECT_NE(text.out.find("max-connections     1          user alice"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("unlimited"), std::string::npos);

  EXPECT_EQ(show({"--role", "sensors"})["limits"]["max_connections"]["value"], 5);
  EXPECT_EQ(show({"--default"})["limits"]["max_connections"]["value"], 2);
}

TEST_F(ArkmqctlQuota, SeveralRolesGiveTheLargestValue) {
  add_role("a");
  add_role("b");
  add_user("carol", "pw", {"a", "b"});
  set_ok({"--role", "a", "--bytes-per-s", "2048"});
  set_ok({"--role", "b", "--bytes-per-s", "1024"});
  const auto json = show({"--user", "carol"});
  EXPECT_EQ(json["limits"]["bytes_per_s"]["value"], 2048);
  EXPECT_EQ(json["limits"]["bytes_per_s"]["source"], "role a");
}

TEST_F(ArkmqctlQuota, AnUnknownUserIsShownAsAPrincipalWithoutRolesWithAWarning) {
  set_ok({"--user", "edge-7", "--max-inflight", "8"});
  const auto result = ctl({"--json", "quota", "show", "--user", "edge-7"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("warning"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(result.out)["limits"]["max_inflight"]["value"], 8);
}

TEST_F(ArkmqctlQuota, SetMergesAndPrintsTheWholeSetting) {
  set_ok({"--user", "bob", "--msgs-per-s", "5"});
  const auto result = ctl({"--json", "quota", "set", "--user", "bob", "--burst", "20"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["scope"], "user");
  EXPECT_EQ(json["limits"], nlohmann::json({{"msgs_per_s", 5}, {"msgs_burst", 20}}));
  const auto text = ctl({"quota", "set", "--user", "bob", "--max-packet-size", "0"});
  EXPECT_EQ(text.out, "limits of user bob: msgs-per-s=5 burst=20 max-packet-size=unlimited\n");
}

TEST_F(ArkmqctlQuota, UnsetRemovesChosenLimitsOrAll) {
  set_ok({"--default", "--msgs-per-s", "5", "--burst", "10", "--max-subscriptions", "7"});
  auto result = ctl({"quota", "unset", "--default", "--burst"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "removed from default: burst=10\n");
  EXPECT_EQ(show({"--default"})["limits"]["msgs_burst"]["source"],
            "built-in: one second of msgs-per-s");
  result = ctl({"--json", "quota", "unset", "--default", "--all"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out)["removed"],
            nlohmann::json({{"msgs_per_s", 5}, {"max_subscriptions", 7}}));
  EXPECT_TRUE(show({"--default"})["limits"]["msgs_per_s"]["value"].is_null());
  // Nothing left to remove: the operation fails.
  expect_exit({"quota", "unset", "--default", "--all"}, 1);
}

TEST_F(ArkmqctlQuota, ListShowsEveryStoredSetting) {
  add_role("ops");
  set_ok({"--user", "zed", "--max-retained", "3"});
  set_ok({"--role", "ops", "--max-retained-bytes", "4096"});
  set_ok({"--default", "--max-queued-bytes", "1000000"});
  const auto result = ctl({"quota", "list"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "LEVEL     LIMITS\n"
            "default   max-queued-bytes=1000000\n"
            "role ops  max-retained-bytes=4096\n"
            "user zed  max-retained=3\n");
}

TEST_F(ArkmqctlQuota, ChangesAreInTheAdminLog) {
  set_ok({"--user", "bob", "--msgs-per-s", "5"});
  ASSERT_EQ(ctl({"quota", "unset", "--user", "bob", "--all"}).exit_code, 0);
  auto store = storage::ConfigStore::open(db_path(), storage::ConfigStore::Mode::read_only);
  ASSERT_TRUE(store) << store.error().message;
  const auto changes = store->admin_changes_since(0, 100).value();
  ASSERT_EQ(changes.size(), 2U);
  EXPECT_EQ(changes[0].command, "quota set");
  EXPECT_EQ(nlohmann::json::parse(changes[0].details)["set"]["msgs_per_s"], 5);
  EXPECT_EQ(changes[1].command, "quota unset");
}

TEST_F(ArkmqctlQuota, BadUsageExitsTwoAndOperationFailuresExitOne) {
  expect_exit({"quota", "set", "--msgs-per-s", "5"}, 2);                          // no level
  expect_exit({"quota", "set", "--default", "--user", "u", "--msgs-per-s", "5"}, 2);
  expect_exit({"quota", "set", "--default"}, 2);                                  // no limit
  expect_exit({"quota", "set", "--default", "--burst", "0"}, 2);
  expect_exit({"quota", "set", "--default", "--max-inflight", "65536"}, 2);
  expect_exit({"quota", "set", "--default", "--msgs-per-s", "-1"}, 2);
  expect_exit({"quota", "set", "--user", "a+b", "--msgs-per-s", "1"}, 2);
  expect_exit({"quota", "unset", "--default"}, 2);                                // nothing chosen
  expect_exit({"quota", "unset", "--default", "--all", "--burst"}, 2);
  expect_exit({"quota", "show"}, 2);
  expect_exit({"quota", "set", "--role", "ghosts", "--msgs-per-s", "1"}, 1);      // unknown role
  expect_exit({"quota", "show", "--role", "ghosts"}, 1);
}

}  // namespace
}  // namespace arkmq::ctl::test
