// Shows a rule's topic filter as it applied to one request: %u, %c and %r replaced by the values
// used (for `arkmqctl acl check` and denial logs). Private to acl/. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "acl/model.hpp"
#include "acl/policy.hpp"

namespace arkmq::acl {

// Replaces whole levels "%u" (principal name), "%c" (client id) and "%r" (the first of the
// principal's roles with which the filter matches `topic`, as CompiledPolicy reads %r: any one
// role). A placeholder with no value (anonymous %u, no matching role) is left as written.
std::string substitute_rule_topic(const Rule& rule, const Principal& who, Action action,
                                  std::string_view topic);

}  // namespace arkmq::acl
