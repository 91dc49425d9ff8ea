// Bridge topic mapping and loop prevention.
#include "edge-client/bridge_rules.hpp"

#include <charconv>

#include "broker/protocol/topic.hpp"

namespace arkmq::edge {
namespace {

std::vector<std::string> split_levels(const std::string& text) {
  std::vector<std::string> levels;
  std::size_t start = 0;
  while (true) {
    const auto slash = text.find('/', start);
    levels.push_back(text.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return levels;
    start = slash + 1;
  }
}

std::size_t head_length(const std::vector<std::string>& levels) {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i] == "+" || levels[i] == "#") return i;
  }
  return levels.size();
}

std::vector<std::string> tail_of(const std::vector<std::string>& levels) {
  return {levels.begin() + static_cast<std::ptrdiff_t>(head_length(levels)), levels.end()};
}

int hops_of(const EdgeMessage& message) {
  const auto value = message.user_property(kHopsProperty);
  if (!value) return 0;
  int hops = 0;
  const auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), hops);
  if (ec != std::errc() || ptr != value->data() + value->size() || hops < 0) return 1 << 20;
  return hops;
}

}  // namespace

std::optional<std::string> check_bridge_rule(const BridgeRule& rule) {
  if (tail_of(split_levels(rule.local)) != tail_of(split_levels(rule.cloud))) {
    return "local and cloud filters must end in the same wildcard levels (e.g. \"sensors/#\" and "
           "\"sites/plant-3/sensors/#\")";
  }
  return std::nullopt;
}

std::optional<std::string> map_topic(const std::string& from, const std::string& to,
                                     const std::string& topic) {
  if (!protocol::topic_matches(from, topic)) return std::nullopt;
  const auto from_levels = split_levels(from);
  const auto to_levels = split_levels(to);
  const auto topic_levels = split_levels(topic);
  std::vector<std::string> levels(to_levels.begin(),
                                  to_levels.begin() + static_cast<std::ptrdiff_t>(head_length(to_levels)));
  for (std::size_t i = head_length(from_levels); i < topic_levels.size(); ++i) {
    levels.push_back(topic_levels[i]);
  }
  std::string out;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (i > 0) out += '/';
    out += levels[i];
  }
  return out;
}

Bridge::Bridge(std::vector<BridgeRule> rules, std::string node, bool loop_prevention, int max_hops)
    : rules_(std::move(rules)), node_(std::move(node)), loop_prevention_(loop_prevention),
      max_hops_(max_hops) {}

std::optional<EdgeMessage> Bridge::to_cloud(const EdgeMessage& local) const {
  return forward(local, BridgeDirection::out);
}

std::optional<EdgeMessage> Bridge::to_local(const EdgeMessage& cloud) const {
  return forward(cloud, BridgeDirection::in);
}

std::optional<EdgeMessage> Bridge::forward(const EdgeMessage& message,
                                           BridgeDirection direction) const {
  const int hops = hops_of(message);
  if (loop_prevention_) {
    // Our own mark coming back means the message went round a loop (an "in" rule overlapping an
    // "out" rule, or a cloud-side bridge back to us).
    if (message.user_property(kOriginProperty) == node_) return std::nullopt;
    if (hops >= max_hops_) return std::nullopt;
  }
  for (const auto& rule : rules_) {
    if (rule.direction != direction) continue;
    const auto& from = direction == BridgeDirection::out ? rule.local : rule.cloud;
    const auto& to = direction == BridgeDirection::out ? rule.cloud : rule.local;
    auto topic = map_topic(from, to, message.topic);
    if (!topic) continue;
    EdgeMessage out = message;  // QoS, retain, properties kept
    out.topic = std::move(*topic);
    if (loop_prevention_) {
      if (!out.user_property(kOriginProperty)) out.set_user_property(kOriginProperty, node_);
      out.set_user_property(kHopsProperty, std::to_string(hops + 1));
    }
    return out;
  }
  return std::nullopt;
}

std::vector<std::string> Bridge::local_filters() const {
  std::vector<std::string> out;
  for (const auto& rule : rules_) {
    if (rule.direction == BridgeDirection::out) out.push_back(rule.local);
  }
  return out;
}

std::vector<std::string> Bridge::cloud_filters() const {
  std::vector<std::string> out;
  for (const auto& rule : rules_) {
    if (rule.direction == BridgeDirection::in) out.push_back(rule.cloud);
  }
  return out;
}

}  // namespace arkmq::edge
