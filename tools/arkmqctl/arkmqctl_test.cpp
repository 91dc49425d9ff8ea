// Process tests of arkmqctl: the built binary against a temp data dir. General behaviour
// (help, usage errors, the data dir and database files, the admin log), users and roles.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "acl/password_hash.hpp"
#include "storage/config_store.hpp"
#include "tools/arkmqctl/ctl_runner.hpp"

namespace arkmq::ctl::test {
namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

unsigned mode_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return info.st_mode & 07777U;
}

class ArkmqctlCli : public ::testing::Test, public CtlFixtureBase {};
class ArkmqctlUser : public ::testing::Test, public CtlFixtureBase {};
class ArkmqctlRole : public ::testing::Test, public CtlFixtureBase {};
class ArkmqctlAdminLog : public ::testing::Test, public CtlFixtureBase {
 protected:
  std::vector<storage::AdminChange> changes() const {
    auto store = storage::ConfigStore::open(db_path(), storage::ConfigStore::Mode::read_only);
    EXPECT_TRUE(store.has_value()) << (store ? "" : store.error().message);
    if (!store) return {};
    auto rows = store->admin_changes_since(0, 1000);
    EXPECT_TRUE(rows.has_value());
    return rows ? *rows : std::vector<storage::AdminChange>{};
  }
};

TEST_F(ArkmqctlCli, HelpListsEveryCommandGroup) {
  const auto result = ctl({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* group : {"user", "role", "acl", "service", "--data-dir", "--json"}) {
    EXPECT_NE(result.out.find(group), std::string::npos) << group;
  }
}

TEST_F(ArkmqctlCli, UserHelpListsTheUserCommands) {
  const auto result = ctl({"user", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* command : {"add", "remove", "list", "passwd", "roles"}) {
    EXPECT_NE(result.out.find(command), std::string::npos) << command;
  }
}

TEST_F(ArkmqctlCli, HiddenHashIterationsOptionIsNotInTheHelp) {
  const auto result = ctl({"user", "add", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("--password-stdin"), std::string::npos);
  EXPECT_EQ(result.out.find("--hash-iterations"), std::string::npos);
}

TEST_F(ArkmqctlCli, NoCommandIsBadUsage) {
  EXPECT_EQ(ctl({}).exit_code, 2);
  EXPECT_EQ(ctl({"user"}).exit_code, 2);
}

TEST_F(ArkmqctlCli, UnknownOptionIsBadUsageWithOneErrorLine) {
  const auto result = ctl({"user", "list", "--bogus"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
}

TEST_F(ArkmqctlCli, CreatesTheDataDirWithMode0700AndTheDatabaseWithMode0600) {
  const auto result = ctl({"user", "list"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(mode_of(data_dir()), 0700U);
  EXPECT_EQ(mode_of(db_path()), 0600U);
}

TEST_F(ArkmqctlCli, DataDirComesFromTheEnvironmentWithoutTheOption) {
  CtlRun run;
  run.args = {"role", "add", "ops"};
  run.env["ARKMQ_DATA_DIR"] = data_dir();
  ASSERT_EQ(run_ctl(run).exit_code, 0);
  const auto listed = ctl({"role", "list"});
  EXPECT_NE(listed.out.find("ops"), std::string::npos);
}

TEST_F(ArkmqctlCli, GlobalOptionsMayFollowTheCommand) {
  add_role("ops");
  const auto result = ctl({"role", "list", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out)["roles"][0]["name"], "ops");
}

TEST_F(ArkmqctlUser, AddListAndRemoveAUser) {
  add_role("ops");
  add_user("alice", "s3cret", {"ops"});
  auto listed = ctl({"user", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("alice"), std::string::npos);
  EXPECT_NE(listed.out.find("password"), std::string::npos);
  EXPECT_NE(listed.out.find("ops"), std::string::npos);
  EXPECT_EQ(ctl({"user", "remove", "alice"}).exit_code, 0);
  listed = ctl({"user", "list"});
  EXPECT_EQ(listed.out.find("alice"), std::string::npos);
}

TEST_F(ArkmqctlUser, ListJsonParsesAndNeverHoldsAHash) {
  add_user("alice", "s3cret");
  ASSERT_EQ(ctl({"user", "add", "edge-1", "--cert-only", "--client-id", "edge-1-*"}).exit_code, 0);
  const auto result = ctl({"--json", "user", "list"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto users = nlohmann::json::parse(result.out)["users"];
  ASSERT_EQ(users.size(), 2U);
  EXPECT_EQ(users[0]["name"], "alice");
  EXPECT_EQ(users[0]["auth"], "password");
  EXPECT_EQ(users[1]["name"], "edge-1");
  EXPECT_EQ(users[1]["auth"], "certificate only");
  EXPECT_EQ(users[1]["client_id_pattern"], "edge-1-*");
  EXPECT_EQ(result.out.find("$arkmq$"), std::string::npos);
  EXPECT_EQ(result.out.find("s3cret"), std::string::npos);
}

TEST_F(ArkmqctlUser, AddJsonDescribesTheUser) {
  const auto result = ctl({"--json", "user", "add", "bob", "--password-stdin",
                           "--hash-iterations", "10000"},
                          "pw\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto user = nlohmann::json::parse(result.out);
  EXPECT_EQ(user["name"], "bob");
  EXPECT_EQ(user["auth"], "password");
}

TEST_F(ArkmqctlUser, PasswordFromStdinIsStoredOnlyAsAHash) {
  const std::string password = "correct-horse-battery-staple";
  add_user("alice", password);
  auto store = storage::ConfigStore::open(db_path(), storage::ConfigStore::Mode::read_only);
  ASSERT_TRUE(store.has_value());
  auto data = store->load();
  ASSERT_TRUE(data.has_value());
  ASSERT_EQ(data->users.size(), 1U);
  // The trailing newline is not part of the password.
  EXPECT_TRUE(acl::verify_password(password, data->users[0].password_hash));
  EXPECT_FALSE(acl::verify_password(password + "\n", data->users[0].password_hash));
  for (const auto& suffix : {"", "-wal", "-shm", "-journal"}) {
    EXPECT_EQ(file_bytes(db_path() + suffix).find(password), std::string::npos) << suffix;
  }
}

TEST_F(ArkmqctlUser, PasswordOnTheCommandLineWarnsOnStderr) {
  const auto result = ctl({"user", "add", "bob", "--password", "pw", "--hash-iterations", "10000"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.err.find("visible to other local users"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("pw"), std::string::npos);
}

TEST_F(ArkmqctlUser, EmptyPasswordIsRefused) {
  const auto result = ctl({"user", "add", "bob", "--password-stdin"}, "\n");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  EXPECT_EQ(ctl({"user", "list"}).out.find("bob"), std::string::npos);
}

TEST_F(ArkmqctlUser, PasswordChoiceIsRequiredAndExclusive) {
  EXPECT_EQ(ctl({"user", "add", "bob"}).exit_code, 2);
  EXPECT_EQ(ctl({"user", "add", "bob", "--cert-only", "--password", "x"}).exit_code, 2);
}

TEST_F(ArkmqctlUser, NameWithPlusIsBadUsage) {
  const auto result = ctl({"user", "add", "a+b", "--cert-only"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
}

TEST_F(ArkmqctlUser, AddingAnExistingUserIsAConflict) {
  add_user("alice", "pw");
  const auto result = ctl({"user", "add", "alice", "--cert-only"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
}

TEST_F(ArkmqctlUser, UnknownRoleFails) {
  const auto result = ctl({"user", "add", "alice", "--cert-only", "--role", "nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
}

TEST_F(ArkmqctlUser, RemovingAnUnknownUserFails) {
  const auto result = ctl({"user", "remove", "nobody"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
}

TEST_F(ArkmqctlUser, PasswdReplacesTheHash) {
  add_user("alice", "old-password");
  const auto result = ctl({"user", "passwd", "alice", "--password-stdin", "--hash-iterations",
                           "10000"},
                          "new-password\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto store = storage::ConfigStore::open(db_path(), storage::ConfigStore::Mode::read_only);
  ASSERT_TRUE(store.has_value());
  const auto data = store->load();
  ASSERT_TRUE(data.has_value());
  ASSERT_EQ(data->users.size(), 1U);
  EXPECT_TRUE(acl::verify_password("new-password", data->users[0].password_hash));
  EXPECT_FALSE(acl::verify_password("old-password", data->users[0].password_hash));
  EXPECT_EQ(ctl({"user", "passwd", "nobody", "--password", "x", "--hash-iterations", "10000"})
                .exit_code,
            1);
}

TEST_F(ArkmqctlUser, RolesReplacesTheRoleSet) {
  add_role("ops");
  add_role("admin");
  add_user("alice", "pw", {"ops"});
  ASSERT_EQ(ctl({"user", "roles", "alice", "--role", "admin"}).exit_code, 0);
  auto users = nlohmann::json::parse(ctl({"--json", "user", "list"}).out)["users"];
  EXPECT_EQ(users[0]["roles"], nlohmann::json::array({"admin"}));
  ASSERT_EQ(ctl({"user", "roles", "alice"}).exit_code, 0);
  users = nlohmann::json::parse(ctl({"--json", "user", "list"}).out)["users"];
  EXPECT_TRUE(users[0]["roles"].empty());
  EXPECT_EQ(ctl({"user", "roles", "alice", "--role", "nope"}).exit_code, 1);
}

TEST_F(ArkmqctlRole, AddListAndRemoveARole) {
  add_role("ops");
  add_user("alice", "pw", {"ops"});
  auto listed = ctl({"role", "list"});
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_NE(listed.out.find("ops"), std::string::npos);
  EXPECT_NE(listed.out.find("alice"), std::string::npos);
  const auto json = nlohmann::json::parse(ctl({"--json", "role", "list"}).out);
  EXPECT_EQ(json["roles"][0]["name"], "ops");
  EXPECT_EQ(json["roles"][0]["users"], nlohmann::json::array({"alice"}));
  ASSERT_EQ(ctl({"role", "remove", "ops"}).exit_code, 0);
  EXPECT_EQ(ctl({"role", "list"}).out.find("ops"), std::string::npos);
  // Removing a role also takes it from its users.
  const auto users = nlohmann::json::parse(ctl({"--json", "user", "list"}).out)["users"];
  EXPECT_TRUE(users[0]["roles"].empty());
}

TEST_F(ArkmqctlRole, DuplicateAndUnknownRolesFail) {
  add_role("ops");
  EXPECT_EQ(ctl({"role", "add", "ops"}).exit_code, 1);
  EXPECT_EQ(ctl({"role", "remove", "nope"}).exit_code, 1);
  EXPECT_EQ(ctl({"role", "add", "$ops"}).exit_code, 2);
}

TEST_F(ArkmqctlAdminLog, EveryChangeIsLoggedWithTheOsUserAndTheCommand) {
  add_role("ops");
  add_user("alice", "hunter2-secret", {"ops"});
  ASSERT_EQ(ctl({"acl", "add", "--allow", "--all", "--topic", "x/#", "--role", "ops"}).exit_code, 0);
  ASSERT_EQ(ctl({"user", "list"}).exit_code, 0);  // reading writes nothing
  const auto rows = changes();
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].command, "role add");
  EXPECT_EQ(rows[1].command, "user add");
  EXPECT_EQ(rows[2].command, "acl add");
  const passwd* me = ::getpwuid(::geteuid());
  ASSERT_NE(me, nullptr);
  for (const auto& row : rows) {
    EXPECT_EQ(row.actor, me->pw_name);
    EXPECT_EQ(row.details.find("hunter2-secret"), std::string::npos);
    EXPECT_EQ(row.details.find("$arkmq$"), std::string::npos);
  }
}

TEST_F(ArkmqctlAdminLog, SudoUserIsNamedInTheActor) {
  CtlRun run;
  run.args = {"--data-dir", data_dir(), "role", "add", "ops"};
  run.env["SUDO_USER"] = "carol";
  ASSERT_EQ(run_ctl(run).exit_code, 0);
  const auto rows = changes();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_NE(rows[0].actor.find(" (sudo by carol)"), std::string::npos) << rows[0].actor;
}

}  // namespace
}  // namespace arkmq::ctl::test
