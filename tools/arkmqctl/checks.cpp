// Input checks: names through acl::is_valid_name, filters through the policy compiler itself.
#include "tools/arkmqctl/checks.hpp"

#include <vector>

#include "acl/policy.hpp"
#include "broker/protocol/topic.hpp"

namespace arkmq::ctl {

Outcome check_name(std::string_view what, const std::string& value) {
  if (acl::is_valid_name(value)) {
    return {};
  }
  return usage_error("invalid " + std::string(what) + " name '" + value +
                     "': names are 1 to 128 bytes of UTF-8 without control characters or "
                     "/ + # *, and do not start with $ or %");
}

Outcome check_pattern(std::string_view what, const std::string& value) {
  bool ok = !value.empty() && protocol::is_valid_utf8(value);
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      ok = false;
    }
  }
  if (ok) {
    return {};
  }
  return usage_error("invalid " + std::string(what) + " '" + value +
                     "': expected non-empty UTF-8 without control characters");
}

Outcome check_rule_filter(const std::string& filter) {
  if (!protocol::is_valid_topic_filter(filter)) {
    return usage_error("invalid topic filter '" + filter +
                       "': '+' must fill a whole level, '#' must be the last level");
  }
  // The broker compiles rules with CompiledPolicy; refuse here what it would refuse there.
  acl::Rule rule;
  rule.topic = filter;
  rule.actions = acl::kAllActions;
  rule.effect = acl::Effect::allow;
  std::vector<acl::Rule> rules;
  rules.push_back(std::move(rule));
  auto compiled = acl::CompiledPolicy::compile(std::move(rules), acl::Effect::deny);
  if (!compiled) {
    return usage_error("invalid topic filter '" + filter + "': " + compiled.error());
  }
  return {};
}

Outcome check_request_topic(acl::Action action, const std::string& topic) {
  if (action == acl::Action::subscribe) {
    std::string_view filter = topic;
    if (const auto shared = protocol::parse_shared_filter(topic)) {
      if (shared->group.empty()) {
        return usage_error("invalid shared subscription filter '" + topic + "'");
      }
      filter = shared->filter;
    }
    if (!protocol::is_valid_topic_filter(filter)) {
      return usage_error("invalid topic filter '" + topic + "'");
    }
    return {};
  }
  if (!protocol::is_valid_topic_name(topic)) {
    return usage_error("invalid topic name '" + topic + "': no wildcards in a topic name");
  }
  return {};
}

}  // namespace arkmq::ctl
