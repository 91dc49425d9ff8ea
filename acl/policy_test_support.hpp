// Helpers for the CompiledPolicy tests: terse rule and principal builders.
// Test code only.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "acl/model.hpp"
#include "acl/policy.hpp"

namespace arkmq::acl::test {

inline constexpr ActionSet kPublish = static_cast<ActionSet>(Action::publish);
inline constexpr ActionSet kSubscribe = static_cast<ActionSet>(Action::subscribe);
inline constexpr ActionSet kReceive = static_cast<ActionSet>(Action::receive);

inline Rule make_rule(std::int64_t id, Effect effect, Subject subject, std::string value,
                      std::string topic, ActionSet actions = kAllActions,
                      std::int32_t priority = 0) {
  Rule rule;
  rule.id = id;
  rule.effect = effect;
  rule.subject = subject;
  rule.subject_value = std::move(value);
  rule.topic = std::move(topic);
  rule.actions = actions;
  rule.priority = priority;
  return rule;
}

inline Rule allow(std::int64_t id, Subject subject, std::string value, std::string topic,
                  ActionSet actions = kAllActions, std::int32_t priority = 0) {
  return make_rule(id, Effect::allow, subject, std::move(value), std::move(topic), actions,
                   priority);
}

inline Rule deny(std::int64_t id, Subject subject, std::string value, std::string topic,
                 ActionSet actions = kAllActions, std::int32_t priority = 0) {
  return make_rule(id, Effect::deny, subject, std::move(value), std::move(topic), actions,
                   priority);
}

inline CompiledPolicy compiled(std::vector<Rule> rules, Effect default_effect = Effect::deny) {
  auto policy = CompiledPolicy::compile(std::move(rules), default_effect);
  EXPECT_TRUE(policy.has_value()) << (policy ? std::string() : policy.error());
  if (!policy) return std::move(CompiledPolicy::compile({}, default_effect).value());
  return std::move(policy.value());
}

// Owns what a Principal points at.
struct Identity {
  std::string name;
  std::vector<std::string> roles;
  std::string client_id;
  bool anonymous = false;

  Principal principal() const { return Principal{name, anonymous, &roles, client_id}; }
};

inline Identity user(std::string name, std::vector<std::string> roles = {},
                     std::string client_id = "client-1") {
  return Identity{std::move(name), std::move(roles), std::move(client_id), false};
}

inline Identity anonymous(std::string client_id = "anon-1") {
  return Identity{{}, {}, std::move(client_id), true};
}

inline Effect effect_of(const CompiledPolicy& policy, const Identity& who, Action action,
                        std::string_view topic) {
  return policy.check(who.principal(), action, topic).effect;
}

}  // namespace arkmq::acl::test
