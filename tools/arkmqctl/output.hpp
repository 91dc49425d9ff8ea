// Text and JSON forms of the permission model for arkmqctl's output: aligned tables and one
// spelling of subjects, actions and effects shared by every command. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "acl/model.hpp"

namespace arkmq::ctl {

// Columns separated by two spaces, padded to the widest cell; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  std::string str() const;  // header line plus one line per row, each ending in '\n'

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

std::string join(const std::vector<std::string>& parts, std::string_view separator);

std::string_view effect_name(acl::Effect effect);    // "allow" / "deny"
std::string_view subject_kind(acl::Subject subject);  // "user", "role", "client", "anyone", ...
std::string_view action_name(acl::Action action);     // "publish", "subscribe", "receive"
// "user alice", "role ops", "client sensor-*", "anyone", "anonymous"
std::string subject_text(acl::Subject subject, const std::string& value);
// "publish,subscribe" in the fixed order publish, subscribe, receive; "all" for every action
std::string actions_text(acl::ActionSet actions);
std::vector<std::string> action_names(acl::ActionSet actions);
// "every method" for an empty method
std::string method_text(const std::string& method);
// "password" or "certificate only" (never the hash)
std::string_view auth_text(const acl::UserRecord& user);

// One line: "rule 7: allow publish for user alice on sensors/# (priority 0)"; a compiled
// service rule is "service rule: ..." (its id is its grant's, and its origin names the grant)
std::string rule_line(const acl::Rule& rule);
// A table of rules: ID EFFECT ACTIONS SUBJECT TOPIC PRIORITY [ORIGIN]
Table rule_table(const std::vector<acl::Rule>& rules, bool with_origin);

nlohmann::json rule_json(const acl::Rule& rule);
nlohmann::json user_json(const acl::UserRecord& user);
nlohmann::json call_grant_json(const acl::CallGrant& grant);
nlohmann::json serve_grant_json(const acl::ServeGrant& grant);

}  // namespace arkmq::ctl
