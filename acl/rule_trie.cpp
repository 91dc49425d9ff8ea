// The rule trie: insertion at compile time, and the allocation-free walks used by every check.
// Built once, then read-only; any thread may walk it.
#include "acl/rule_trie.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "acl/client_glob.hpp"
#include "acl/level_map.hpp"

namespace arkmq::acl::detail {

namespace {

using RuleList = std::vector<const Rule*>;

struct ClientRule {
  ClientGlob glob;
  const Rule* rule;
};

// Rules ending at one node, by subject: a principal looks up its own name and roles instead of
// scanning every per-user rule written for the same filter.
struct RuleBucket {
  LevelMap<RuleList> by_user;
  LevelMap<RuleList> by_role;
  std::vector<ClientRule> by_client;
  RuleList anyone;
  RuleList anonymous;
};

// Splits the first level off `rest`; `done` tells whether it was the last one.
struct Split {
  std::string_view level;
  std::string_view rest;
  bool done;
};
Split split_level(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return {text, {}, true};
  return {text.substr(0, slash), text.substr(slash + 1), false};
}

}  // namespace

LevelKind classify_level(std::string_view level) {
  if (level == "+") return LevelKind::plus;
  if (level == "#") return LevelKind::hash;
  if (level == "%u") return LevelKind::user;
  if (level == "%c") return LevelKind::client;
  if (level == "%r") return LevelKind::role;
  return LevelKind::literal;
}

bool is_literal_level_value(std::string_view value) {
  if (value.empty()) return false;
  // A plain loop: find_first_of with a set costs a memchr per character, on every check.
  for (const char c : value) {
    if (c == '/' || c == '+' || c == '#' || c == '\0') return false;
  }
  return true;
}

bool outranks(const Rule& a, const Rule& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  if (a.effect != b.effect) return a.effect == Effect::deny;
  return a.id < b.id;
}

void MatchSink::add(const Rule* rule) {
  if (all != nullptr) all->push_back(rule);
  if (best == nullptr || outranks(*rule, *best)) best = rule;
}

struct RuleTrie::Node {
  LevelMap<std::unique_ptr<Node>> literal;
  std::unique_ptr<Node> plus;
  std::unique_ptr<Node> hash;
  std::unique_ptr<Node> user;
  std::unique_ptr<Node> client;
  std::unique_ptr<Node> role;
  RuleBucket rules;
  ActionSet actions = 0;       // actions of the rules at or below this node: prunes the walk
  ActionSet deny_actions = 0;  // the same, deny rules only (walks below a widened placeholder)
};

// How far a placeholder child may be followed for one request level.
enum class Way : std::uint8_t { none, full, deny_only };

struct RuleTrie::Walker {
  Walker(const MatchRequest& match_request, MatchSink& match_sink)
      : request_(match_request), sink_(match_sink) {}

  const MatchRequest& request_;
  MatchSink& sink_;
  // Whether %u, %c, %r have usable values; worked out when a walk first reaches a placeholder.
  std::int8_t user_ok_ = -1;
  std::int8_t client_ok_ = -1;
  std::int8_t roles_widen_ = -1;
  const char* filter_start_ = nullptr;      // subscribe: where the request filter begins
  std::optional<std::uint64_t> name_hash_;  // the user name's, hashed once per check

  // %u: authenticated principals only; anonymous clients have no user name.
  bool user_ok() {
    if (user_ok_ < 0) {
      const Principal& who = *request_.who;
      user_ok_ = !who.anonymous && is_literal_level_value(who.name) ? 1 : 0;
    }
    return user_ok_ == 1;
  }

  bool client_ok() {
    if (client_ok_ < 0) client_ok_ = is_literal_level_value(request_.who->client_id) ? 1 : 0;
    return client_ok_ == 1;
  }

  // %r stands for any one role. With no role at all, or one that cannot be a single literal
  // level, a deny rule's %r widens to `+` (fail closed); an allow rule's %r still matches only
  // the usable roles. Anonymous clients have no roles.
  bool roles_widen() {
    if (roles_widen_ < 0) {
      const Principal& who = *request_.who;
      bool widen = who.anonymous || who.roles == nullptr || who.roles->empty();
      if (!widen) {
        for (const auto& role : *who.roles) widen = widen || !is_literal_level_value(role);
      }
      roles_widen_ = widen ? 1 : 0;
    }
    return roles_widen_ == 1;
  }

  bool worth(const Node* node, bool deny_only) const {
    if (node == nullptr) return false;
    return ((deny_only ? node->deny_actions : node->actions) & request_.action) != 0;
  }

  void add(const Rule* rule, bool deny_only) const {
    if ((rule->actions & request_.action) == 0) return;
    if (deny_only && rule->effect != Effect::deny) return;
    sink_.add(rule);
  }

  void add_all(const RuleList& rules, bool deny_only) const {
    for (const Rule* rule : rules) add(rule, deny_only);
  }

  void collect(const RuleBucket& bucket, bool deny_only) {
    const Principal& who = *request_.who;
    if (who.anonymous) {  // an anonymous client is a principal of its own: no user, no roles
      add_all(bucket.anonymous, deny_only);
      return;
    }
    if (!bucket.by_user.empty() && !who.name.empty()) {
      if (!name_hash_) name_hash_ = level_hash(who.name);
      if (const auto* rules = bucket.by_user.find(who.name, *name_hash_))
        add_all(*rules, deny_only);
    }
    if (!bucket.by_role.empty() && who.roles != nullptr) {
      const auto& roles = *who.roles;
      for (std::size_t i = 0; i < roles.size(); ++i) {
        bool seen = false;  // a role listed twice must not report its rules twice
        for (std::size_t k = 0; k < i && !seen; ++k) seen = roles[k] == roles[i];
        if (seen) continue;
        if (const auto* rules = bucket.by_role.find(roles[i])) add_all(*rules, deny_only);
      }
    }
    for (const auto& client : bucket.by_client) {
      if ((client.rule->actions & request_.action) == 0) continue;
      if (client.glob.matches(who.client_id, who.name)) add(client.rule, deny_only);
    }
    add_all(bucket.anyone, deny_only);
  }

  bool has_role(std::string_view level) const {
    const Principal& who = *request_.who;
    if (who.anonymous || who.roles == nullptr) return false;
    for (const auto& role : *who.roles) {
      if (role == level && is_literal_level_value(role)) return true;
    }
    return false;
  }

  // A placeholder is one literal level, never a wildcard. Without a usable value an allow rule
  // does not apply and a deny rule reads the level as `+`: a deny only widens, an allow only
  // narrows, so a name like "a/#" or "+" can never grant more than was written.
  // `level` is the request's level; `request_plus` when it is a subscribe filter's `+`, which a
  // placeholder covers only where it widened to `+`.
  Way placeholder_way(LevelKind kind, std::string_view level, bool request_plus) {
    const Principal& who = *request_.who;
    switch (kind) {
      case LevelKind::user:
        if (!user_ok()) return Way::deny_only;
        return !request_plus && who.name == level ? Way::full : Way::none;
      case LevelKind::client:
        if (!client_ok()) return Way::deny_only;
        return !request_plus && who.client_id == level ? Way::full : Way::none;
      case LevelKind::role:
        if (!request_plus && has_role(level)) return Way::full;
        return roles_widen() ? Way::deny_only : Way::none;
      case LevelKind::literal:
      case LevelKind::plus:
      case LevelKind::hash: break;
    }
    return Way::none;
  }

  // Calls `descend(child, deny_only)` for each %u %c %r child that the request level reaches.
  template <class Descend>
  void follow_placeholders(const Node& node, std::string_view level, bool request_plus,
                           bool deny_only, Descend descend) {
    const std::pair<const Node*, LevelKind> placeholders[] = {
        {node.user.get(), LevelKind::user},
        {node.client.get(), LevelKind::client},
        {node.role.get(), LevelKind::role}};
    for (const auto& [child, kind] : placeholders) {
      if (!worth(child, deny_only)) continue;
      const Way way = placeholder_way(kind, level, request_plus);
      if (way == Way::none) continue;
      const bool only_deny = deny_only || way == Way::deny_only;
      if (worth(child, only_deny)) descend(*child, only_deny);
    }
  }

  // Publish/receive: `rest` is what is left of the topic name after `node`'s levels.
  void topic(const Node& node, std::string_view rest, bool done, bool first, bool deny_only) {
    // [MQTT-4.7.2-1]: `#` and `+` at the first level never match a `$` topic; neither does a
    // placeholder, so `$` topics are reached only by rules that spell out their `$` level.
    const bool wildcards = !(first && request_.dollar);
    if (wildcards && worth(node.hash.get(), deny_only)) collect(node.hash->rules, deny_only);
    if (done) {
      collect(node.rules, deny_only);
      return;
    }
    const Split next = split_level(rest);
    if (!node.literal.empty()) {
      const auto* child = node.literal.find(next.level);
      if (child != nullptr && worth(child->get(), deny_only)) {
        topic(**child, next.rest, next.done, false, deny_only);
      }
    }
    if (!wildcards) return;
    if (worth(node.plus.get(), deny_only))
      topic(*node.plus, next.rest, next.done, false, deny_only);
    follow_placeholders(node, next.level, false, deny_only, [&](const Node& child, bool only_deny) {
      topic(child, next.rest, next.done, false, only_deny);
    });
  }

  // Subscribe: a rule applies when its filter covers every topic the request filter matches.
  void filter(const Node& node, std::string_view rest, bool done, bool first, bool deny_only) {
    const bool wildcards = !(first && request_.dollar);
    // A rule `#` here covers whatever the rest of the request is (including a request `#`).
    if (wildcards && worth(node.hash.get(), deny_only)) collect(node.hash->rules, deny_only);
    if (done) {
      collect(node.rules, deny_only);
      return;
    }
    const Split next = split_level(rest);
    if (next.level == "#") {
      // Only a rule `#` covers a request `#`, except where the level above the `#` would be an
      // empty topic, which cannot exist: then `+/#` matches all that `#` does ("#" and "/#").
      if (rest.data() - filter_start_ <= 1) {
        const auto hash_below = [&](const Node& child, bool only_deny) {
          if (worth(child.hash.get(), only_deny)) collect(child.hash->rules, only_deny);
        };
        if (node.plus) hash_below(*node.plus, deny_only);
        follow_placeholders(node, next.level, true, deny_only, hash_below);
      }
      return;
    }
    const bool plus = next.level == "+";
    if (!plus && !node.literal.empty()) {
      const auto* child = node.literal.find(next.level);
      if (child != nullptr && worth(child->get(), deny_only)) {
        filter(**child, next.rest, next.done, false, deny_only);
      }
    }
    if (!wildcards) return;
    if (worth(node.plus.get(), deny_only))
      filter(*node.plus, next.rest, next.done, false, deny_only);
    follow_placeholders(node, next.level, plus, deny_only, [&](const Node& child, bool only_deny) {
      filter(child, next.rest, next.done, false, only_deny);
    });
  }
};

RuleTrie::RuleTrie() : root_(std::make_unique<Node>()) {}
RuleTrie::~RuleTrie() = default;
RuleTrie::RuleTrie(RuleTrie&&) noexcept = default;
RuleTrie& RuleTrie::operator=(RuleTrie&&) noexcept = default;

void RuleTrie::insert(const Rule& rule) {
  const ActionSet deny_actions = rule.effect == Effect::deny ? rule.actions : ActionSet{0};
  Node* node = root_.get();
  node->actions |= rule.actions;
  node->deny_actions |= deny_actions;
  std::string_view rest = rule.topic;
  for (bool done = false; !done;) {
    const Split next = split_level(rest);
    rest = next.rest;
    done = next.done;
    std::unique_ptr<Node>* slot = nullptr;
    switch (classify_level(next.level)) {
      case LevelKind::literal: slot = &node->literal[next.level]; break;
      case LevelKind::plus: slot = &node->plus; break;
      case LevelKind::hash: slot = &node->hash; break;
      case LevelKind::user: slot = &node->user; break;
      case LevelKind::client: slot = &node->client; break;
      case LevelKind::role: slot = &node->role; break;
    }
    if (!*slot) *slot = std::make_unique<Node>();
    node = slot->get();
    node->actions |= rule.actions;
    node->deny_actions |= deny_actions;
  }
  RuleBucket& bucket = node->rules;
  switch (rule.subject) {
    case Subject::user: bucket.by_user[rule.subject_value].push_back(&rule); break;
    case Subject::role: bucket.by_role[rule.subject_value].push_back(&rule); break;
    case Subject::client:
      bucket.by_client.push_back({ClientGlob(rule.subject_value), &rule});
      break;
    case Subject::anyone: bucket.anyone.push_back(&rule); break;
    case Subject::anonymous: bucket.anonymous.push_back(&rule); break;
  }
}

void RuleTrie::match_topic(const MatchRequest& request, std::string_view topic,
                           MatchSink& sink) const {
  Walker walker(request, sink);
  if (walker.worth(root_.get(), false)) walker.topic(*root_, topic, false, true, false);
}

void RuleTrie::match_filter(const MatchRequest& request, std::string_view filter,
                            MatchSink& sink) const {
  Walker walker(request, sink);
  walker.filter_start_ = filter.data();
  if (walker.worth(root_.get(), false)) walker.filter(*root_, filter, false, true, false);
}

}  // namespace arkmq::acl::detail
