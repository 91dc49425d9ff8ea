// Level-wise placeholder substitution for explanations. Pure functions.
#include "acl/rule_substitution.hpp"

#include <optional>

#include "broker/protocol/topic.hpp"

namespace arkmq::acl {
namespace {

std::string substitute(std::string_view filter, const Principal& who,
                       std::optional<std::string_view> role) {
  std::string out;
  out.reserve(filter.size() + 32);
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = filter.find('/', start);
    const std::string_view level = filter.substr(start, slash - start);
    if (level == "%u" && !who.anonymous && !who.name.empty()) {
      out += who.name;
    } else if (level == "%c" && !who.client_id.empty()) {
      out += who.client_id;
    } else if (level == "%r" && role) {
      out += *role;
    } else {
      out += level;
    }
    if (slash == std::string_view::npos) return out;
    out += '/';
    start = slash + 1;
  }
}

// The filter part of a subscribe request, without `$share/G/`.
std::string_view request_filter(Action action, std::string_view topic) {
  if (action != Action::subscribe) return topic;
  const auto shared = protocol::parse_shared_filter(topic);
  return shared ? shared->filter : topic;
}

}  // namespace

std::string substitute_rule_topic(const Rule& rule, const Principal& who, Action action,
                                  std::string_view topic) {
  const bool has_role_level = rule.topic == "%r" || rule.topic.starts_with("%r/") ||
                              rule.topic.ends_with("/%r") ||
                              rule.topic.find("/%r/") != std::string::npos;
  if (has_role_level && !who.anonymous && who.roles != nullptr) {
    // %r is any one of the principal's roles (also in a role rule): show the first with which
    // the rule matches. For a subscribe filter with wildcards, equality is the best guess.
    const std::string_view wanted = request_filter(action, topic);
    for (const auto& role : *who.roles) {
      std::string candidate = substitute(rule.topic, who, role);
      if (candidate == wanted || protocol::topic_matches(candidate, wanted)) return candidate;
    }
  }
  return substitute(rule.topic, who, std::nullopt);
}

}  // namespace arkmq::acl
