// Input checks shared by arkmqctl's commands. A failed check is bad usage (exit 2), found before
// the store is touched. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "acl/model.hpp"
#include "tools/arkmqctl/context.hpp"

namespace arkmq::ctl {

// `what` names the argument in the message: "user", "role", "service", ...
Outcome check_name(std::string_view what, const std::string& value);
// A client-id glob (`*`, `%u`): non-empty valid UTF-8 without control characters.
Outcome check_pattern(std::string_view what, const std::string& value);
// A rule's topic filter, as the broker will compile it (wildcards, %u %c %r levels).
Outcome check_rule_filter(const std::string& filter);
// The topic of `acl check`: a topic name for publish/receive, a filter for subscribe.
Outcome check_request_topic(acl::Action action, const std::string& topic);

}  // namespace arkmq::ctl
