// Topic names and topic filters (spec 4.7): validation, matching, shared-subscription syntax.
// Pure functions on string views; usable from any thread.
#pragma once

#include <optional>
#include <string_view>

namespace arkmq::protocol {

// Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF) without U+0000 [MQTT-1.5.4].
bool is_valid_utf8(std::string_view text);

// A topic name for PUBLISH: at least one character, no '+' or '#', valid UTF-8, <= 65535 bytes.
bool is_valid_topic_name(std::string_view topic);

// A topic filter: '+' alone in a level, '#' alone and last; valid UTF-8; non-empty.
// `$share/...` filters are validated with parse_shared_filter first.
bool is_valid_topic_filter(std::string_view filter);

// True when `topic` matches `filter`; a filter starting with a wildcard never matches a topic
// starting with '$' [MQTT-4.7.2-1].
bool topic_matches(std::string_view filter, std::string_view topic);

struct SharedFilter {
  std::string_view group;   // ShareName: non-empty, no '/', '+' or '#'
  std::string_view filter;  // the topic filter after the group
};

// Splits `$share/group/filter`; nullopt when `filter` does not start with "$share/".
// A `$share/` filter with a bad group or no filter part is returned with an empty group,
// which callers report as topic_filter_invalid.
std::optional<SharedFilter> parse_shared_filter(std::string_view filter);

}  // namespace arkmq::protocol
