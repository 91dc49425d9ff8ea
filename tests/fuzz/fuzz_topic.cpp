// libFuzzer target: topic name/filter validation, matching and shared-filter parsing.
// Input: first byte picks where the rest splits into a filter and a topic.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/protocol/topic.hpp"

using namespace arkmq::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text{reinterpret_cast<const char*>(data + 1), size - 1};
  const std::size_t split = text.empty() ? 0 : data[0] % (text.size() + 1);
  const auto filter = text.substr(0, split);
  const auto topic = text.substr(split);

  const bool name_ok = is_valid_topic_name(topic);
  const bool filter_ok = is_valid_topic_filter(filter);
  (void)filter_ok;
  (void)topic_matches(filter, topic);
  (void)is_valid_utf8(text);

  if (name_ok) {
    if (!is_valid_topic_filter(topic)) __builtin_trap();  // every name is a filter
    if (!topic_matches(topic, topic)) __builtin_trap();   // and matches itself
    if (topic.front() != '$' && !topic_matches("#", topic)) __builtin_trap();
    if (topic.front() == '$' && topic_matches("#", topic)) __builtin_trap();  // [MQTT-4.7.2-1]
  }
  if (const auto shared = parse_shared_filter(filter); shared && !shared->group.empty()) {
    const std::string rebuilt =
        "$share/" + std::string(shared->group) + "/" + std::string(shared->filter);
    if (rebuilt != filter) __builtin_trap();
  }
  return 0;
}
