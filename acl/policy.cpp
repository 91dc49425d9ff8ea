// CompiledPolicy: rule validation, compilation into the rule trie, and the decision order
// (built-in `$` rules, then the highest-priority matching rule, then the default).
// Immutable once compiled; check/matching_rules from any thread, without allocating (check).
#include "acl/policy.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "acl/rule_trie.hpp"
#include "broker/protocol/topic.hpp"

namespace arkmq::acl {

namespace {

using detail::LevelKind;

// Deeper rule filters are refused: the walks recurse once per rule level.
constexpr std::size_t kMaxRuleLevels = 256;

constexpr std::string_view kMatchedRule = "matched rule";
constexpr std::string_view kDefaultDeny = "no rule matched: default deny";
constexpr std::string_view kDefaultAllow = "no rule matched: default allow";
constexpr std::string_view kSysReadOnly = "$SYS is read-only";
constexpr std::string_view kReservedTopic = "reserved topic";
constexpr std::string_view kInvalidTopic = "invalid topic";
constexpr std::string_view kInvalidShared = "invalid shared subscription";

std::string rule_label(const Rule& rule) {
  std::string label = "rule " + std::to_string(rule.id);
  if (!rule.origin.empty()) label += " (" + rule.origin + ")";
  return label;
}

bool is_placeholder(LevelKind kind) {
  return kind == LevelKind::user || kind == LevelKind::client || kind == LevelKind::role;
}

// The rule's topic must be a filter once each whole-level %u %c %r is read as a plain level.
tl::expected<void, std::string> validate_topic(const Rule& rule) {
  const std::string_view topic = rule.topic;
  const auto bad = [&](std::string_view what) {
    return tl::unexpected(rule_label(rule) + ": topic \"" + rule.topic + "\" " + std::string(what));
  };
  if (topic.empty()) return bad("is empty");
  if (topic.substr(0, 7) == "$share/") {
    return bad("is a shared subscription; a rule names the filter after $share/GROUP/");
  }
  std::string shape;
  shape.reserve(topic.size());
  std::size_t levels = 0;
  std::string_view rest = topic;
  for (bool done = false; !done;) {
    const auto slash = rest.find('/');
    done = slash == std::string_view::npos;
    const std::string_view level = done ? rest : rest.substr(0, slash);
    rest = done ? std::string_view{} : rest.substr(slash + 1);
    const LevelKind kind = detail::classify_level(level);
    if (!is_placeholder(kind)) {
      for (const std::string_view placeholder : {"%u", "%c", "%r"}) {
        if (level.find(placeholder) != std::string_view::npos) {
          return bad("uses " + std::string(placeholder) + " inside the level \"" +
                     std::string(level) + "\"; a placeholder must be a whole level");
        }
      }
    }
    shape.append(is_placeholder(kind) ? std::string_view("x") : level);
    if (!done) shape.push_back('/');
    ++levels;
  }
  if (!protocol::is_valid_topic_filter(shape)) return bad("is not a valid topic filter");
  if (levels > kMaxRuleLevels) {
    return bad("has more than " + std::to_string(kMaxRuleLevels) + " levels");
  }
  return {};
}

bool is_sys_topic(std::string_view topic) {
  return topic == "$SYS" || topic.substr(0, 5) == "$SYS/";
}

detail::MatchRequest make_request(const Principal& who, Action action, bool dollar) {
  detail::MatchRequest request;
  request.who = &who;
  request.action = static_cast<ActionSet>(action);
  request.dollar = dollar;
  return request;
}

}  // namespace

struct CompiledPolicy::Impl {
  std::vector<Rule> rules;  // never resized after compile: the trie points into it
  detail::RuleTrie trie;
  Effect default_effect = Effect::deny;

  // The topic the rules are matched against: subscribe requests lose `$share/GROUP/`.
  // Returns false (with `why`) when the request cannot be evaluated at all.
  static bool target_of(Action action, std::string_view topic, std::string_view& target,
                        std::string_view& why) {
    target = topic;
    if (action == Action::subscribe) {
      if (const auto shared = protocol::parse_shared_filter(topic)) {
        if (shared->group.empty()) {
          why = kInvalidShared;
          return false;
        }
        target = shared->filter;
      }
    }
    if (target.empty()) {
      why = kInvalidTopic;
      return false;
    }
    return true;
  }

  void match(const Principal& who, Action action, std::string_view target,
             detail::MatchSink& sink) const {
    const auto request = make_request(who, action, target.front() == '$');
    if (action == Action::subscribe) {
      trie.match_filter(request, target, sink);
    } else {
      trie.match_topic(request, target, sink);
    }
  }
};

CompiledPolicy::CompiledPolicy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledPolicy::CompiledPolicy(CompiledPolicy&&) noexcept = default;
CompiledPolicy& CompiledPolicy::operator=(CompiledPolicy&&) noexcept = default;
CompiledPolicy::~CompiledPolicy() = default;

tl::expected<CompiledPolicy, std::string> CompiledPolicy::compile(std::vector<Rule> rules,
                                                                  Effect default_effect) {
  for (const auto& rule : rules) {
    if (auto valid = validate_topic(rule); !valid) return tl::unexpected(std::move(valid.error()));
  }
  auto impl = std::make_unique<Impl>();
  impl->rules = std::move(rules);
  impl->default_effect = default_effect;
  for (const auto& rule : impl->rules) impl->trie.insert(rule);
  return CompiledPolicy(std::move(impl));
}

Verdict CompiledPolicy::check(const Principal& who, Action action, std::string_view topic) const {
  std::string_view target;
  std::string_view why;
  if (!Impl::target_of(action, topic, target, why)) return {Effect::deny, nullptr, why};
  const bool dollar = target.front() == '$';
  if (action == Action::publish && dollar) {
    if (is_sys_topic(target)) return {Effect::deny, nullptr, kSysReadOnly};
    // Clients never publish into the broker's `$` namespaces, except `$svc/` where a rule
    // (normally a compiled service grant) allows it.
    if (target.substr(0, 5) != "$svc/") return {Effect::deny, nullptr, kReservedTopic};
  }
  detail::MatchSink sink;
  impl_->match(who, action, target, sink);
  if (sink.best != nullptr) return {sink.best->effect, sink.best, kMatchedRule};
  // `$` topics are reached only through rules that name them; the default never grants them.
  if (dollar) return {Effect::deny, nullptr, kReservedTopic};
  return {impl_->default_effect, nullptr,
          impl_->default_effect == Effect::allow ? kDefaultAllow : kDefaultDeny};
}

std::vector<const Rule*> CompiledPolicy::matching_rules(const Principal& who, Action action,
                                                        std::string_view topic) const {
  std::vector<const Rule*> matched;
  std::string_view target;
  std::string_view why;
  if (!Impl::target_of(action, topic, target, why)) return matched;
  detail::MatchSink sink;
  sink.all = &matched;
  impl_->match(who, action, target, sink);
  std::stable_sort(matched.begin(), matched.end(),
                   [](const Rule* a, const Rule* b) { return detail::outranks(*a, *b); });
  return matched;
}

std::size_t CompiledPolicy::rule_count() const {
  return impl_->rules.size();
}

Effect CompiledPolicy::default_effect() const {
  return impl_->default_effect;
}

}  // namespace arkmq::acl
