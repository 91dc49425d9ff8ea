// Telemetry bridge rules: which local topics go to the cloud and back, the topic mapping, and
// loop prevention with the `arkmq-origin` / `arkmq-hops` user properties. Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "edge-client/edge_config.hpp"
#include "edge-client/message.hpp"

namespace arkmq::edge {

inline constexpr const char* kOriginProperty = "arkmq-origin";  // the node that first bridged it
inline constexpr const char* kHopsProperty = "arkmq-hops";      // bridge links crossed so far

// Why a rule cannot work (the wildcard tails of `local` and `cloud` differ), or nullopt.
std::optional<std::string> check_bridge_rule(const BridgeRule& rule);

// The topic `topic` (matching `from`) rewritten for `to`: the fixed head levels of `from` are
// replaced by those of `to`, the levels under the wildcard tail are kept. nullopt: no match.
std::optional<std::string> map_topic(const std::string& from, const std::string& to,
                                     const std::string& topic);

class Bridge {
 public:
  Bridge(std::vector<BridgeRule> rules, std::string node, bool loop_prevention, int max_hops);

  // The message to publish on the other side (first matching rule), or nullopt: no rule, or
  // loop prevention stops it (it came from this node, or crossed max_hops links already).
  std::optional<EdgeMessage> to_cloud(const EdgeMessage& local) const;
  std::optional<EdgeMessage> to_local(const EdgeMessage& cloud) const;

  std::vector<std::string> local_filters() const;  // subscribe locally (out rules)
  std::vector<std::string> cloud_filters() const;  // subscribe at the cloud (in rules)

 private:
  std::optional<EdgeMessage> forward(const EdgeMessage& message, BridgeDirection direction) const;

  std::vector<BridgeRule> rules_;
  std::string node_;
  bool loop_prevention_;
  int max_hops_;
};

}  // namespace arkmq::edge
