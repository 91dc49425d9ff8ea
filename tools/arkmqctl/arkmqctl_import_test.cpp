// Process tests of `arkmqctl acl import`: the `acl list --json` document round-trips, bad input
// imports nothing, and many rules go in one process.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tools/arkmqctl/ctl_runner.hpp"

namespace arkmq::ctl::test {
namespace {

using nlohmann::json;

class ArkmqctlImport : public ::testing::Test, public CtlFixtureBase {
 protected:
  json listed() const { return json::parse(ctl({"--json", "acl", "list"}).out)["rules"]; }
};

TEST_F(ArkmqctlImport, AListedPolicyImportsIntoAnotherStoreUnchanged) {
  add_role("ops");
  ASSERT_EQ(ctl({"acl", "add", "--allow", "--publish", "--subscribe", "--topic", "sensors/%u/#",
                 "--role", "ops", "--priority", "5"}).exit_code, 0);
  ASSERT_EQ(ctl({"acl", "add", "--deny", "--all", "--topic", "+/secret/#", "--anyone",
                 "--priority", "-3"}).exit_code, 0);
  ASSERT_EQ(ctl({"acl", "add", "--allow", "--receive", "--topic", "public/#", "--anonymous"})
                .exit_code, 0);
  ASSERT_EQ(ctl({"acl", "add", "--allow", "--publish", "--topic", "gw/%c", "--client", "gw-*"})
                .exit_code, 0);
  const std::string document = ctl({"--json", "acl", "list"}).out;

  CtlFixtureBase other;
  ASSERT_EQ(other.ctl({"role", "add", "ops"}).exit_code, 0);
  const auto imported = other.ctl({"--json", "acl", "import", "-"}, document);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(json::parse(imported.out)["imported"], 4);
  EXPECT_EQ(json::parse(other.ctl({"--json", "acl", "list"}).out)["rules"], listed());
}

TEST_F(ArkmqctlImport, ABadRuleImportsNothingAndNamesTheRule) {
  const json document = {{"rules",
                          {{{"effect", "allow"}, {"actions", {"publish"}}, {"subject", "anyone"},
                            {"topic", "ok/#"}},
                           {{"effect", "allow"}, {"actions", {"publish"}}, {"subject", "anyone"},
                            {"topic", "bad/#/x"}}}}};
  const auto result = ctl({"acl", "import", "-"}, document.dump());
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("rule 2"), std::string::npos) << result.err;
  EXPECT_TRUE(listed().empty());
}

TEST_F(ArkmqctlImport, UnknownFieldValuesAreBadUsage) {
  for (const std::string& text :
       {std::string("not json"), std::string(R"({"rules": 3})"),
        std::string(R"([{"effect": "maybe", "actions": ["publish"], "subject": "anyone", "topic": "a"}])"),
        std::string(R"([{"effect": "allow", "actions": ["fly"], "subject": "anyone", "topic": "a"}])"),
        std::string(R"([{"effect": "allow", "actions": [], "subject": "anyone", "topic": "a"}])"),
        std::string(R"([{"effect": "allow", "actions": ["publish"], "subject": "nobody", "topic": "a"}])"),
        std::string(R"([{"effect": "allow", "actions": ["publish"], "subject": "user", "subject_value": "a/b", "topic": "a"}])"),
        std::string(R"([{"effect": "allow", "actions": ["publish"], "subject": "anyone", "subject_value": "x", "topic": "a"}])")}) {
    const auto result = ctl({"acl", "import", "-"}, text);
    EXPECT_EQ(result.exit_code, 2) << text << "\n" << result.err;
    EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  }
  EXPECT_TRUE(listed().empty());
}

TEST_F(ArkmqctlImport, AnUnknownRoleFailsBeforeAnyRuleIsAdded) {
  const json document = json::array(
      {{{"effect", "allow"}, {"actions", {"publish"}}, {"subject", "anyone"}, {"topic", "a"}},
       {{"effect", "allow"}, {"actions", {"publish"}}, {"subject", "role"},
        {"subject_value", "ghosts"}, {"topic", "b"}}});
  const auto result = ctl({"acl", "import", "-"}, document.dump());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("ghosts"), std::string::npos) << result.err;
  EXPECT_TRUE(listed().empty());
}

TEST_F(ArkmqctlImport, ThousandsOfRulesGoInOneProcessFromAFile) {
  json rules = json::array();
  for (int i = 0; i < 2000; ++i) {
    rules.push_back({{"effect", i % 10 == 0 ? "deny" : "allow"},
                     {"actions", {"publish", "receive"}},
                     {"subject", "user"},
                     {"subject_value", "dev-" + std::to_string(i)},
                     {"topic", "plant/" + std::to_string(i % 40) + "/+/dev-" + std::to_string(i) + "/#"}});
  }
  const std::string file = data_dir() + ".rules.json";
  std::ofstream(file) << json{{"rules", rules}}.dump();
  const auto result = ctl({"acl", "import", file});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "imported 2000 rules (ids 1-2000)\n");
  const json list = listed();
  ASSERT_EQ(list.size(), 2000U);
  EXPECT_EQ(list[1999]["subject_value"], "dev-1999");
  EXPECT_EQ(list[10]["effect"], "deny");
}

}  // namespace
}  // namespace arkmq::ctl::test
