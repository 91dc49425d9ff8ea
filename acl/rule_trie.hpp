// The topic trie behind CompiledPolicy: rule filters keyed by level (literal, +, #, %u, %c, %r),
// rules at a node indexed by subject. Built once by compile, then read-only from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "acl/model.hpp"
#include "acl/policy.hpp"

namespace arkmq::acl::detail {

enum class LevelKind : std::uint8_t { literal, plus, hash, user, client, role };

// "+", "#", "%u", "%c", "%r" as whole levels; anything else is literal.
LevelKind classify_level(std::string_view level);

// A placeholder value usable as one literal level: non-empty, no `/`, `+`, `#` or NUL.
bool is_literal_level_value(std::string_view value);

// What one request brings to the walk, worked out once per check.
struct MatchRequest {
  const Principal* who = nullptr;
  ActionSet action = 0;
  bool dollar = false;  // the topic (or filter) starts with `$` [MQTT-4.7.2-1]
};

// Where matched rules go: the best one (check) and, when `all` is set, every one (explain).
struct MatchSink {
  const Rule* best = nullptr;
  std::vector<const Rule*>* all = nullptr;

  void add(const Rule* rule);
};

// The decision order: higher priority first; at equal priority deny first; then lower id.
bool outranks(const Rule& a, const Rule& b);

class RuleTrie {
 public:
  RuleTrie();
  ~RuleTrie();
  RuleTrie(RuleTrie&&) noexcept;
  RuleTrie& operator=(RuleTrie&&) noexcept;

  // `rule.topic` has been validated; `rule` must outlive the trie (pointers are kept).
  void insert(const Rule& rule);

  // Rules whose filter matches the topic name (publish, receive).
  void match_topic(const MatchRequest& request, std::string_view topic, MatchSink& sink) const;
  // Rules whose filter covers the request filter (subscribe; `$share/` already stripped).
  void match_filter(const MatchRequest& request, std::string_view filter, MatchSink& sink) const;

 private:
  struct Node;
  struct Walker;
  std::unique_ptr<Node> root_;
};

}  // namespace arkmq::acl::detail
