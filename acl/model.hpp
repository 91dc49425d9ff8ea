// The permission model as plain data: users, roles, topic rules, service grants. What the store
// (storage/) persists and arkmqctl edits; compiled by CompiledPolicy. No behaviour here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "acl/quota.hpp"

namespace arkmq::acl {

enum class Action : std::uint8_t { publish = 1, subscribe = 2, receive = 4 };
using ActionSet = std::uint8_t;  // bitwise or of Action values
inline constexpr ActionSet kAllActions = 1 | 2 | 4;
constexpr bool contains(ActionSet set, Action action) {
  return (set & static_cast<ActionSet>(action)) != 0;
}

enum class Effect { allow, deny };

// Who a rule is for. `anyone` means every authenticated principal; anonymous clients match only
// rules for `anonymous` (see docs/security.md: an anonymous client is a principal of its own).
// `client` rules match the client id against a glob (`*` = any run of characters, `%u`).
enum class Subject { user, role, client, anyone, anonymous };

struct Rule {
  std::int64_t id = 0;           // store id; compiled service rules carry the grant's id
  Subject subject = Subject::anyone;
  std::string subject_value;     // user name, role name or client-id pattern; empty otherwise
  ActionSet actions = 0;
  std::string topic;             // filter with + and #, and %u %c %r as whole levels
  Effect effect = Effect::deny;
  std::int32_t priority = 0;     // higher wins; equal priority: deny wins over allow
  std::string origin;            // "" for a stored rule; "service grant 3 (...)" when compiled
};

// "role R (or user U) may call method M (or every method, M empty) of service S".
struct CallGrant {
  std::int64_t id = 0;
  Subject subject = Subject::role;  // user or role only
  std::string subject_value;
  std::string service;
  std::string method;  // empty: every method
};

// "node N may serve service S"; N is the node's principal (certificate CN or user name).
struct ServeGrant {
  std::int64_t id = 0;
  std::string node;
  std::string service;
};

struct UserRecord {
  std::string name;
  std::string password_hash;      // "" when the user logs in by certificate only
  std::vector<std::string> roles;
  std::string client_id_pattern;  // "" to use the broker-wide pattern
};

// Everything the broker needs to decide: one consistent snapshot of the store.
struct PolicyData {
  std::vector<UserRecord> users;
  std::vector<std::string> roles;
  std::vector<Rule> rules;
  std::vector<CallGrant> call_grants;
  std::vector<ServeGrant> serve_grants;
  std::vector<QuotaSetting> quotas;  // flow-control limits (acl/quota.hpp); the default first
};

// Names of users, roles, services, methods and nodes: non-empty, at most 128 bytes, valid
// UTF-8, no control characters, none of `/ + # *`, and not starting with `$` or `%`. These
// characters would make a name act as a wildcard or a topic separator once substituted.
bool is_valid_name(std::string_view name);

}  // namespace arkmq::acl
