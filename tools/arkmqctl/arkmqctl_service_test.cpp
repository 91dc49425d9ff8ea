// Process tests of `arkmqctl service`: call and serve grants, revoking, listing with the
// compiled $svc/ rules, and usage errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tools/arkmqctl/ctl_runner.hpp"

namespace arkmq::ctl::test {
namespace {

class ArkmqctlService : public ::testing::Test, public CtlFixtureBase {
 protected:
  nlohmann::json list() const {
    const auto result = ctl({"--json", "service", "list"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out);
  }
  void expect_usage(const std::vector<std::string>& args) const {
    const auto result = ctl(args);
    EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
    EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  }
};

bool has_topic(const nlohmann::json& rules, const std::string& topic) {
  for (const auto& rule : rules) {
    if (rule["topic"] == topic) return true;
  }
  return false;
}

TEST_F(ArkmqctlService, GrantsAreListedWithTheirCompiledRules) {
  add_role("ops");
  const auto call = ctl({"service", "grant", "--role", "ops", "--service", "plc", "--method",
                         "read"});
  ASSERT_EQ(call.exit_code, 0) << call.err;
  EXPECT_EQ(call.out, "1\n");
  ASSERT_EQ(ctl({"service", "grant", "--user", "bob", "--service", "plc"}).exit_code, 0);
  const auto serve = ctl({"--json", "service", "grant", "--node", "edge-1", "--service", "plc"});
  ASSERT_EQ(serve.exit_code, 0) << serve.err;
  EXPECT_EQ(nlohmann::json::parse(serve.out)["kind"], "serve");

  const auto json = list();
  ASSERT_EQ(json["call_grants"].size(), 2U);
  EXPECT_EQ(json["call_grants"][0]["subject"], "role");
  EXPECT_EQ(json["call_grants"][0]["method"], "read");
  EXPECT_EQ(json["call_grants"][1]["subject_value"], "bob");
  EXPECT_EQ(json["call_grants"][1]["method"], "");
  ASSERT_EQ(json["serve_grants"].size(), 1U);
  EXPECT_EQ(json["serve_grants"][0]["node"], "edge-1");
  EXPECT_TRUE(has_topic(json["compiled_rules"], "$svc/call/plc/read"));
  EXPECT_TRUE(has_topic(json["compiled_rules"], "$svc/call/plc/+"));
  EXPECT_TRUE(has_topic(json["compiled_rules"], "$svc/node/edge-1/call/plc/#"));
  for (const auto& rule : json["compiled_rules"]) {
    EXPECT_FALSE(rule["origin"].get<std::string>().empty());
  }

  const auto text = ctl({"service", "list"});
  EXPECT_NE(text.out.find("edge-1"), std::string::npos);
  EXPECT_NE(text.out.find("$svc/call/plc/read"), std::string::npos);
}

TEST_F(ArkmqctlService, RevokeRemovesTheMatchingGrantOnly) {
  add_role("ops");
  ASSERT_EQ(ctl({"service", "grant", "--role", "ops", "--service", "plc", "--method", "read"})
                .exit_code,
            0);
  ASSERT_EQ(ctl({"service", "grant", "--role", "ops", "--service", "plc"}).exit_code, 0);
  ASSERT_EQ(ctl({"service", "grant", "--node", "edge-1", "--service", "plc"}).exit_code, 0);
  const auto revoked = ctl({"service", "revoke", "--role", "ops", "--service", "plc"});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(ctl({"service", "revoke", "--node", "edge-1", "--service", "plc"}).exit_code, 0);
  const auto json = list();
  ASSERT_EQ(json["call_grants"].size(), 1U);
  EXPECT_EQ(json["call_grants"][0]["method"], "read");
  EXPECT_TRUE(json["serve_grants"].empty());
}

TEST_F(ArkmqctlService, RevokingAGrantThatDoesNotExistFails) {
  const auto result = ctl({"service", "revoke", "--user", "bob", "--service", "plc"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  EXPECT_EQ(ctl({"service", "revoke", "--node", "n1", "--service", "plc"}).exit_code, 1);
}

TEST_F(ArkmqctlService, BadUsageExitsWithTwo) {
  expect_usage({"service", "grant", "--role", "ops"});                          // no --service
  expect_usage({"service", "grant", "--service", "plc"});                       // no subject
  expect_usage({"service", "grant", "--role", "ops", "--user", "u", "--service", "plc"});
  expect_usage({"service", "grant", "--node", "n", "--service", "plc", "--method", "m"});
  expect_usage({"service", "grant", "--role", "ops", "--service", "pl+c"});
  expect_usage({"service", "grant", "--role", "ops", "--service", "plc", "--method", "a/b"});
  expect_usage({"service", "revoke", "--service", "plc"});
  const auto json = list();
  EXPECT_TRUE(json["call_grants"].empty());
  EXPECT_TRUE(json["serve_grants"].empty());
}

}  // namespace
}  // namespace arkmq::ctl::test
