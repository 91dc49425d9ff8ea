// Topic name/filter validation and matching (spec 4.7), UTF-8 checks (spec 1.5.4).
// Pure functions; any thread.
#include "broker/protocol/topic.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace arkmq::protocol {

namespace {

constexpr std::size_t max_string_size = 65535;

// Splits off the next '/'-separated level; `rest` becomes nullopt-like (done=true) at the end.
struct LevelCursor {
  std::string_view rest;
  bool done = false;

  std::string_view next() {
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) {
      done = true;
      return rest;
    }
    const auto level = rest.substr(0, slash);
    rest.remove_prefix(slash + 1);
    return level;
  }
};

}  // namespace

bool is_valid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    // Fast path: eight ASCII bytes without a NUL at a time (topics are mostly ASCII).
    if (size - i >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, bytes + i, sizeof word);
      constexpr std::uint64_t ones = 0x0101010101010101ULL;
      constexpr std::uint64_t highs = 0x8080808080808080ULL;
      const bool has_nul = ((word - ones) & ~word & highs) != 0;
      if ((word & highs) == 0 && !has_nul) {
        i += 8;
        continue;
      }
    }
    const std::uint8_t lead = bytes[i];
    if (lead < 0x80) {
      if (lead == 0) return false;  // U+0000 [MQTT-1.5.4-2]
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    std::uint32_t minimum = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1Fu, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0Fu, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07u, minimum = 0x10000;
    } else {
      return false;  // continuation byte as lead, or 0xF8..0xFF
    }
    if (size - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const std::uint8_t cont = bytes[i + k];
      if ((cont & 0xC0) != 0x80) return false;
      code = (code << 6) | (cont & 0x3Fu);
    }
    if (code < minimum) return false;                      // overlong
    if (code >= 0xD800 && code <= 0xDFFF) return false;    // surrogates [MQTT-1.5.4-1]
    if (code > 0x10FFFF) return false;
    i += length;
  }
  return true;
}

bool is_valid_topic_name(std::string_view topic) {
  if (topic.empty() || topic.size() > max_string_size) return false;  // [MQTT-4.7.3-1]
  if (topic.find_first_of("+#") != std::string_view::npos) return false;  // [MQTT-3.3.2-2]
  return is_valid_utf8(topic);
}

bool is_valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > max_string_size) return false;  // [MQTT-4.7.3-1]
  LevelCursor cursor{filter};
  while (!cursor.done) {
    const auto level = cursor.next();
    if (level.find('+') != std::string_view::npos && level != "+") return false;  // [MQTT-4.7.1-2]
    if (level.find('#') != std::string_view::npos) {
      if (level != "#" || !cursor.done) return false;  // [MQTT-4.7.1-1]
    }
  }
  return is_valid_utf8(filter);
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (filter.empty() || topic.empty()) return false;
  // [MQTT-4.7.2-1]: wildcards at the first level do not match '$' topics.
  if (topic.front() == '$' && (filter.front() == '+' || filter.front() == '#')) return false;
  LevelCursor f{filter};
  LevelCursor t{topic};
  while (!f.done) {
    const auto flevel = f.next();
    if (flevel == "#") return true;  // matches the parent level too: "sport/#" matches "sport"
    if (t.done) {
      return false;
    }
    const auto tlevel = t.next();
    if (flevel != "+" && flevel != tlevel) return false;
  }
  return t.done;
}

std::optional<SharedFilter> parse_shared_filter(std::string_view filter) {
  constexpr std::string_view prefix = "$share/";
  if (filter.substr(0, prefix.size()) != prefix) return std::nullopt;
  const auto rest = filter.substr(prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return SharedFilter{{}, {}};  // no filter part
  const auto group = rest.substr(0, slash);
  const auto topic_filter = rest.substr(slash + 1);
  // [MQTT-4.8.2-1] ShareName: at least one character, no '/', '+' or '#'; [MQTT-4.8.2-2] a filter.
  if (group.empty() || group.find_first_of("+#") != std::string_view::npos ||
      topic_filter.empty()) {
    return SharedFilter{{}, topic_filter};
  }
  return SharedFilter{group, topic_filter};
}

}  // namespace arkmq::protocol
