// Process tests of `arkmqctl acl`: adding, listing and removing topic rules, usage errors, and
// `acl check` explanations (deciding rule, substituted filter, service grant origin).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tools/arkmqctl/ctl_runner.hpp"

namespace arkmq::ctl::test {
namespace {

class ArkmqctlAcl : public ::testing::Test, public CtlFixtureBase {
 protected:
  // acl add ... ; returns the printed id
  std::string add_rule(const std::vector<std::string>& args) const {
    std::vector<std::string> full{"acl", "add"};
    full.insert(full.end(), args.begin(), args.end());
    const auto result = ctl(full);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::string id = result.out;
    while (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }
  void expect_usage(const std::vector<std::string>& args) const {
    const auto result = ctl(args);
    EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
    EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  }
};

TEST_F(ArkmqctlAcl, AddPrintsTheIdAndListShowsTheRule) {
  add_role("ops");
  const auto id = add_rule({"--allow", "--publish", "--subscribe", "--topic", "sensors/%u/#",
                            "--role", "ops", "--priority", "5"});
  EXPECT_EQ(id, "1");
  const auto listed = ctl({"acl", "list"});
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_NE(listed.out.find("sensors/%u/#"), std::string::npos);
  EXPECT_NE(listed.out.find("publish,subscribe"), std::string::npos);
  EXPECT_NE(listed.out.find("role ops"), std::string::npos);
  const auto rules = nlohmann::json::parse(ctl({"--json", "acl", "list"}).out)["rules"];
  ASSERT_EQ(rules.size(), 1U);
  EXPECT_EQ(rules[0]["id"], 1);
  EXPECT_EQ(rules[0]["effect"], "allow");
  EXPECT_EQ(rules[0]["subject"], "role");
  EXPECT_EQ(rules[0]["subject_value"], "ops");
  EXPECT_EQ(rules[0]["priority"], 5);
  EXPECT_EQ(rules[0]["actions"], nlohmann::json::array({"publish", "subscribe"}));
}

TEST_F(ArkmqctlAcl, AddJsonDescribesTheNewRule) {
  const auto result = ctl({"--json", "acl", "add", "--deny", "--all", "--topic", "#",
                           "--anonymous"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto rule = nlohmann::json::parse(result.out);
  EXPECT_EQ(rule["id"], 1);
  EXPECT_EQ(rule["effect"], "deny");
  EXPECT_EQ(rule["subject"], "anonymous");
  EXPECT_EQ(rule["actions"].size(), 3U);
}

TEST_F(ArkmqctlAcl, EverySubjectKindCanBeAdded) {
  add_role("ops");
  add_rule({"--allow", "--receive", "--topic", "a", "--user", "alice"});
  add_rule({"--allow", "--receive", "--topic", "a", "--role", "ops"});
  add_rule({"--allow", "--receive", "--topic", "a", "--client", "sensor-*"});
  add_rule({"--allow", "--receive", "--topic", "a", "--anyone"});
  add_rule({"--allow", "--receive", "--topic", "a", "--anonymous"});
  const auto rules = nlohmann::json::parse(ctl({"--json", "acl", "list"}).out)["rules"];
  ASSERT_EQ(rules.size(), 5U);
  EXPECT_EQ(rules[2]["subject"], "client");
  EXPECT_EQ(rules[2]["subject_value"], "sensor-*");
}

TEST_F(ArkmqctlAcl, RuleForAnUnknownRoleFails) {
  const auto result = ctl({"acl", "add", "--allow", "--all", "--topic", "a", "--role", "nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
}

TEST_F(ArkmqctlAcl, BadUsageExitsWithTwo) {
  expect_usage({"acl", "add", "--allow", "--publish", "--anyone"});  // no --topic
  expect_usage({"acl", "add", "--allow", "--publish", "--topic", "a/#/b", "--anyone"});
  expect_usage({"acl", "add", "--allow", "--publish", "--topic", "a/b+", "--anyone"});
  expect_usage({"acl", "add", "--publish", "--topic", "a", "--anyone"});  // no effect
  expect_usage({"acl", "add", "--allow", "--deny", "--publish", "--topic", "a", "--anyone"});
  expect_usage({"acl", "add", "--allow", "--topic", "a", "--anyone"});  // no action
  expect_usage({"acl", "add", "--allow", "--publish", "--topic", "a"});  // no subject
  expect_usage({"acl", "add", "--allow", "--publish", "--topic", "a", "--anyone", "--user", "x"});
  expect_usage({"acl", "add", "--allow", "--publish", "--topic", "a", "--role", "o+s"});
  expect_usage({"acl", "add", "--allow", "--publish", "--topic", "a", "--anyone", "--bogus"});
  expect_usage({"acl", "remove", "abc"});
  EXPECT_TRUE(nlohmann::json::parse(ctl({"--json", "acl", "list"}).out)["rules"].empty());
}

TEST_F(ArkmqctlAcl, RemoveDeletesTheRuleAndUnknownIdsFail) {
  const auto id = add_rule({"--allow", "--all", "--topic", "x/#", "--anyone"});
  const auto removed = ctl({"acl", "remove", id});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(nlohmann::json::parse(ctl({"--json", "acl", "list"}).out)["rules"].empty());
  const auto again = ctl({"acl", "remove", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(is_one_error_line(again.err)) << again.err;
}

TEST_F(ArkmqctlAcl, CheckNamesTheDecidingRuleAndTheSubstitutedFilter) {
  add_role("ops");
  add_user("alice", "pw", {"ops"});
  const auto allow = add_rule({"--allow", "--publish", "--topic", "sensors/%u/#", "--role", "ops",
                               "--priority", "1"});
  const auto deny = add_rule({"--deny", "--all", "--topic", "sensors/#", "--anyone"});
  const auto result = ctl({"acl", "check", "--user", "alice", "--publish", "sensors/alice/t"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("decision: allow"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("rule " + allow + ":"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("sensors/alice/#"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("also matched"), std::string::npos) << result.out;

  const auto json =
      nlohmann::json::parse(ctl({"--json", "acl", "check", "--user", "alice", "--publish",
                                 "sensors/alice/t"}).out);
  EXPECT_EQ(json["decision"], "allow");
  EXPECT_EQ(json["rule"]["id"], std::stoll(allow));
  EXPECT_EQ(json["substituted_topic"], "sensors/alice/#");
  ASSERT_EQ(json["also_matched"].size(), 1U);
  EXPECT_EQ(json["also_matched"][0]["id"], std::stoll(deny));
  EXPECT_TRUE(json["origin"].is_null());

  // Someone else's subtree: the lower deny rule decides; exit 0 for a deny too.
  const auto denied = ctl({"--json", "acl", "check", "--user", "alice", "--publish",
                           "sensors/bob/t"});
  EXPECT_EQ(denied.exit_code, 0);
  const auto denied_json = nlohmann::json::parse(denied.out);
  EXPECT_EQ(denied_json["decision"], "deny");
  EXPECT_EQ(denied_json["rule"]["id"], std::stoll(deny));
}

TEST_F(ArkmqctlAcl, CheckWithoutAMatchingRuleReportsTheDefault) {
  add_user("alice", "pw");
  auto json = nlohmann::json::parse(
      ctl({"--json", "acl", "check", "--user", "alice", "--subscribe", "x/#"}).out);
  EXPECT_EQ(json["decision"], "deny");
  EXPECT_TRUE(json["rule"].is_null());
  EXPECT_NE(json["reason"].get<std::string>().find("default"), std::string::npos);
  json = nlohmann::json::parse(ctl({"--json", "acl", "check", "--user", "alice", "--subscribe",
                                    "x/#", "--acl-default", "allow"}).out);
  EXPECT_EQ(json["decision"], "allow");
}

TEST_F(ArkmqctlAcl, CheckForAnAnonymousClientUsesAnonymousRules) {
  add_rule({"--allow", "--receive", "--topic", "public/#", "--anonymous"});
  const auto json = nlohmann::json::parse(
      ctl({"--json", "acl", "check", "--anonymous", "--client", "c1", "--receive", "public/a"})
          .out);
  EXPECT_EQ(json["decision"], "allow");
  EXPECT_EQ(json["request"]["anonymous"], true);
  EXPECT_EQ(json["request"]["client_id"], "c1");
}

TEST_F(ArkmqctlAcl, CheckNamesTheServiceGrantARuleWasCompiledFrom) {
  add_role("ops");
  add_user("alice", "pw", {"ops"});
  const auto grant = ctl({"service", "grant", "--role", "ops", "--service", "plc", "--method",
                          "read"});
  ASSERT_EQ(grant.exit_code, 0) << grant.err;
  const auto result = ctl({"acl", "check", "--user", "alice", "--publish", "$svc/call/plc/read"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("decision: allow"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("call grant"), std::string::npos) << result.out;
  const auto json = nlohmann::json::parse(
      ctl({"--json", "acl", "check", "--user", "alice", "--publish", "$svc/call/plc/read"}).out);
  EXPECT_NE(json["origin"].get<std::string>().find("call grant"), std::string::npos);
}

TEST_F(ArkmqctlAcl, CheckBadUsageExitsWithTwo) {
  expect_usage({"acl", "check", "--publish", "a"});                         // no principal
  expect_usage({"acl", "check", "--user", "u", "a"});                       // no action
  expect_usage({"acl", "check", "--user", "u", "--publish", "a/+"});        // wildcard name
  expect_usage({"acl", "check", "--user", "u", "--subscribe", "a/#/b"});    // bad filter
  expect_usage({"acl", "check", "--user", "u", "--publish", "a", "--acl-default", "maybe"});
}

}  // namespace
}  // namespace arkmq::ctl::test
