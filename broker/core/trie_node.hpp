// Trie node helpers shared by SubscriptionTree and RetainedStore: the child map, the teardown.
// Header-only, no state; each trie's owner thread calls it from its node destructor.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/core/topic_levels.hpp"

namespace arkmq::core {

// A trie node's plain-level children, looked up by std::string_view without a copy.
template <typename Node>
using LevelChildren =
    std::unordered_map<std::string, std::unique_ptr<Node>, LevelHash, std::equal_to<>>;

// Moves every child out of `children` into `into` (for a node's release_children).
template <typename Node>
void release_level_children(LevelChildren<Node>& children,
                            std::vector<std::unique_ptr<Node>>& into) {
  for (auto& entry : children) into.push_back(std::move(entry.second));
  children.clear();
}

// Frees every node below `root` without recursion: a default destructor would recurse once per
// topic level, and topics may be deep. `Node` must offer
// `void release_children(std::vector<std::unique_ptr<Node>>&)`, which moves its children out.
template <typename Node>
void release_subtree(Node& root) {
  std::vector<std::unique_ptr<Node>> doomed;
  root.release_children(doomed);
  while (!doomed.empty()) {
    const std::unique_ptr<Node> node = std::move(doomed.back());
    doomed.pop_back();
    node->release_children(doomed);
  }
}

}  // namespace arkmq::core
