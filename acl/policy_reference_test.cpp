// CompiledPolicy against a slow reference: substitute %u %c %r textually, then use the
// protocol's topic_matches (and, for subscribe, coverage over a small universe of topics).
// Random rules and requests from a fixed seed; bounded by count.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "acl/policy.hpp"
#include "acl/policy_test_support.hpp"
#include "broker/protocol/topic.hpp"

namespace arkmq::acl {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): terse builders in tests

bool usable(std::string_view value) {
  return !value.empty() && value.find_first_of("/+#") == std::string_view::npos;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> levels;
  std::size_t start = 0;
  while (true) {
    const auto slash = text.find('/', start);
    levels.emplace_back(text.substr(start, slash - start));
    if (slash == std::string_view::npos) return levels;
    start = slash + 1;
  }
}

bool subject_matches(const Rule& rule, const Identity& who) {
  switch (rule.subject) {
    case Subject::user: return !who.anonymous && who.name == rule.subject_value;
    case Subject::role:
      return !who.anonymous &&
             std::find(who.roles.begin(), who.roles.end(), rule.subject_value) != who.roles.end();
    case Subject::client: return !who.anonymous && rule.subject_value == "*";
    case Subject::anyone: return !who.anonymous;
    case Subject::anonymous: return who.anonymous;
  }
  return false;
}

// Every filter the rule stands for, for this principal (several with %r).
std::vector<std::string> substitutions(const Rule& rule, const Identity& who) {
  std::vector<std::string> out{""};
  const bool is_deny = rule.effect == Effect::deny;
  const auto levels = split(rule.topic);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    std::vector<std::string> values;
    const auto& level = levels[i];
    const auto single = [&](bool ok, const std::string& value) {
      if (ok)
        values.push_back(value);
      else if (is_deny)
        values.push_back("+");
    };
    if (level == "%u") {
      single(!who.anonymous && usable(who.name), who.name);
    } else if (level == "%c") {
      single(usable(who.client_id), who.client_id);
    } else if (level == "%r") {
      bool widen = who.anonymous || who.roles.empty();
      for (const auto& role : who.roles) {
        if (!who.anonymous && usable(role))
          values.push_back(role);
        else
          widen = true;
      }
      if (widen && is_deny) values.push_back("+");
    } else {
      values.push_back(level);
    }
    std::vector<std::string> next;
    for (const auto& prefix : out) {
      for (const auto& value : values) next.push_back(prefix + (i == 0 ? "" : "/") + value);
    }
    out = std::move(next);
  }
  return out;
}

bool first_level_is_placeholder(const Rule& rule) {
  const auto first = split(rule.topic).front();
  return first == "%u" || first == "%c" || first == "%r";
}

bool candidate_matches(const Rule& rule, const std::string& filter, std::string_view topic) {
  if (topic.front() == '$' && first_level_is_placeholder(rule)) return false;
  return protocol::topic_matches(filter, topic);
}

std::vector<std::string> universe() {
  const std::vector<std::string> alphabet{"a", "alice", "z", "", "$s"};
  std::vector<std::string> topics;
  std::vector<std::string> layer{""};
  for (int depth = 1; depth <= 4; ++depth) {
    std::vector<std::string> next;
    for (const auto& prefix : layer) {
      for (const auto& level : alphabet) next.push_back(depth == 1 ? level : prefix + "/" + level);
    }
    layer = next;
    for (const auto& topic : layer) {
      if (!topic.empty()) topics.push_back(topic);
    }
  }
  return topics;
}

bool reference_applies(const Rule& rule, const Identity& who, Action action, std::string_view topic,
                       const std::vector<std::string>& topics) {
  if (!contains(rule.actions, action) || !subject_matches(rule, who)) return false;
  for (const auto& filter : substitutions(rule, who)) {
    if (action != Action::subscribe) {
      if (candidate_matches(rule, filter, topic)) return true;
      continue;
    }
    bool covers = true;
    for (const auto& t : topics) {
      if (protocol::topic_matches(topic, t) && !candidate_matches(rule, filter, t)) {
        covers = false;
        break;
      }
    }
    if (covers) return true;
  }
  return false;
}

template <class T>
const T& pick(std::mt19937& random, const std::vector<T>& from) {
  return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random)];
}

std::string random_filter(std::mt19937& random, const std::vector<std::string>& levels) {
  const int depth = std::uniform_int_distribution<int>(1, 3)(random);
  std::string filter;
  for (int i = 0; i < depth; ++i) {
    std::string level = pick(random, levels);
    if (level == "#" && i + 1 < depth) level = "+";
    if (i > 0) filter += '/';
    filter += level;
  }
  return filter.empty() ? std::string("a") : filter;  // an empty topic is never valid
}

TEST(CompiledPolicy, AgreesWithTextualSubstitutionAndTopicMatchesOnRandomRules) {
  std::mt19937 random(20261127);
  const std::vector<std::string> rule_levels{"a", "alice", "$s", "", "+", "#", "%u", "%c", "%r"};
  const std::vector<std::string> topic_levels{"a", "alice", "z", "", "$s"};
  const std::vector<std::string> filter_levels{"a", "alice", "z", "", "$s", "+", "#"};
  const std::vector<Identity> principals{user("alice", {"a", "alice"}, "a"),
                                         user("x+y", {"a/b"}, "a#"), user("alice", {}, "$s"),
                                         anonymous("alice"), anonymous("")};
  const auto topics = universe();
  int checked = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<Rule> rules;
    const int count = std::uniform_int_distribution<int>(1, 8)(random);
    for (int i = 0; i < count; ++i) {
      const auto subject = static_cast<Subject>(std::uniform_int_distribution<int>(0, 4)(random));
      const std::string value = subject == Subject::user ? "alice"
                                : subject == Subject::role
                                    ? pick(random, std::vector<std::string>{"a", "alice"})
                                : subject == Subject::client ? "*"
                                                             : "";
      const auto effect = random() % 2 == 0 ? Effect::allow : Effect::deny;
      const auto actions = static_cast<ActionSet>(1 + random() % 7);
      rules.push_back(make_rule(i + 1, effect, subject, value, random_filter(random, rule_levels),
                                actions, static_cast<std::int32_t>(random() % 3)));
    }
    const auto policy = compiled(rules);
    for (int request = 0; request < 20; ++request) {
      const auto& who = pick(random, principals);
      const auto action = static_cast<Action>(1 << (random() % 3));
      const std::string topic = action == Action::subscribe ? random_filter(random, filter_levels)
                                                            : random_filter(random, topic_levels);
      std::vector<std::int64_t> expected;
      for (const auto& rule : rules) {
        if (reference_applies(rule, who, action, topic, topics)) expected.push_back(rule.id);
      }
      std::vector<std::int64_t> actual;
      for (const Rule* rule : policy.matching_rules(who.principal(), action, topic)) {
        actual.push_back(rule->id);
      }
      std::sort(actual.begin(), actual.end());
      std::string listing;
      for (const auto& rule : rules) {
        listing += std::to_string(rule.id) + (rule.effect == Effect::allow ? " allow " : " deny ") +
                   rule.topic + "\n";
      }
      ASSERT_EQ(actual, expected) << "principal " << who.name << " client " << who.client_id
                                  << " action " << static_cast<int>(action) << " topic " << topic
                                  << "\n"
                                  << listing;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 400 * 20);
}

}  // namespace
}  // namespace arkmq::acl
