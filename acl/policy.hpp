// Rules compiled into a topic trie, matched per request on the broker's hot path, and the
// explanation of every decision. Immutable once compiled: any thread may call check/explain.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "acl/model.hpp"

namespace arkmq::acl {

// The identity a request is evaluated for, fixed at CONNECT.
struct Principal {
  std::string_view name;       // user name or certificate identity; empty when anonymous
  bool anonymous = false;
  const std::vector<std::string>* roles = nullptr;  // may be null: no roles
  std::string_view client_id;
};

struct Verdict {
  Effect effect = Effect::deny;
  const Rule* rule = nullptr;  // the deciding rule; null when a built-in rule or the default decided
  std::string_view why;        // static text: "matched rule", "no rule matched: default deny",
                               // "$SYS is read-only", "reserved topic", ...
};

class CompiledPolicy {
 public:
  // Fails with a message naming the rule id when a rule's topic is not a valid filter.
  static tl::expected<CompiledPolicy, std::string> compile(std::vector<Rule> rules,
                                                           Effect default_effect);
  CompiledPolicy(CompiledPolicy&&) noexcept;
  CompiledPolicy& operator=(CompiledPolicy&&) noexcept;
  ~CompiledPolicy();

  // publish/receive: `topic` is a topic name; subscribe: a filter, which a rule covers when every
  // topic the filter matches is matched by the rule's filter (`$share/G/` is stripped first).
  // Built-in rules first: no client publishes to a `$`-topic except `$svc/` topics a rule allows;
  // `$SYS` is never published. Then the highest-priority matching rule; deny wins a tie.
  Verdict check(const Principal& who, Action action, std::string_view topic) const;

  // Every rule that matched the request, highest priority first (for `arkmqctl acl check`).
  std::vector<const Rule*> matching_rules(const Principal& who, Action action,
                                          std::string_view topic) const;

  std::size_t rule_count() const;
  Effect default_effect() const;

 private:
  struct Impl;
  explicit CompiledPolicy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace arkmq::acl
