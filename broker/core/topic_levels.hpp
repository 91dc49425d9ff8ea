// Splits topic names and filters into their '/'-separated levels (spec 4.7.1), for the tries.
// Pure functions; usable from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

namespace arkmq::core {

// Appends the levels of `topic` to `out` (cleared first). Empty levels are real levels:
// "a//b" gives {"a", "", "b"}, "/" gives {"", ""}, "" gives {""} [MQTT-4.7.1].
void split_topic_levels(std::string_view topic, std::vector<std::string_view>& out);

// True when a topic (or its first level) starts with '$'; wildcards at the first level of a
// filter never match such topics [MQTT-4.7.2-1].
inline bool is_dollar_level(std::string_view level) {
  return !level.empty() && level.front() == '$';
}

// Transparent hash for trie child maps keyed by std::string, looked up by std::string_view.
struct LevelHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view level) const noexcept {
    return std::hash<std::string_view>{}(level);
  }
};

}  // namespace arkmq::core
