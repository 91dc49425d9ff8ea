// libFuzzer target: rule filters and requests from arbitrary bytes. Compiling any rule text
// either fails with a message or yields a policy whose check() and matching_rules() answer any
// request (principal, client id, topic) without crashing, and agree on the deciding rule.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "acl/policy.hpp"

namespace {

using namespace arkmq::acl;

// Splits the input at '\n' into at most `count` fields; missing fields are empty.
std::vector<std::string_view> fields(std::string_view data, std::size_t count) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < count) {
    const auto end = data.find('\n');
    if (end == std::string_view::npos) break;
    out.push_back(data.substr(0, end));
    data.remove_prefix(end + 1);
  }
  out.push_back(data);
  out.resize(count);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t control = bytes[0];
  const std::string_view text(reinterpret_cast<const char*>(bytes + 1), size - 1);
  const auto parts = fields(text, 6);  // rule A, rule B, topic, principal, client id, role

  std::vector<Rule> rules;
  for (int i = 0; i < 2; ++i) {
    Rule rule;
    rule.id = i + 1;
    rule.topic = std::string(parts[static_cast<std::size_t>(i)]);
    rule.actions = static_cast<ActionSet>((control >> (i * 3)) & 7);
    if (rule.actions == 0) rule.actions = kAllActions;
    rule.effect = (control & 0x40) != 0 ? Effect::deny : Effect::allow;
    if (i == 1) rule.effect = rule.effect == Effect::allow ? Effect::deny : Effect::allow;
    rule.subject = static_cast<Subject>((control >> 2) % 5);
    if (rule.subject == Subject::user) rule.subject_value = std::string(parts[3]);
    if (rule.subject == Subject::role) rule.subject_value = std::string(parts[5]);
    if (rule.subject == Subject::client) rule.subject_value = std::string(parts[4]);
    rule.priority = i;
    rules.push_back(std::move(rule));
  }
  auto policy = CompiledPolicy::compile(std::move(rules), Effect::deny);
  if (!policy) return 0;

  const std::vector<std::string> roles{std::string(parts[5])};
  const bool anonymous = (control & 0x80) != 0;
  const Principal who{anonymous ? std::string_view{} : parts[3], anonymous, &roles, parts[4]};
  for (const Action action : {Action::publish, Action::subscribe, Action::receive}) {
    const Verdict verdict = policy->check(who, action, parts[2]);
    const auto matched = policy->matching_rules(who, action, parts[2]);
    // A deciding rule is always among the matching ones, and the first of them.
    if (verdict.rule != nullptr && (matched.empty() || matched.front() != verdict.rule)) {
      __builtin_trap();
    }
  }
  return 0;
}
