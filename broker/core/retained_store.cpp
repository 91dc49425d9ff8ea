// Retained messages in a trie keyed by topic level, so a filter with a fixed prefix only walks
// the subtree under that prefix instead of every retained topic.
#include "broker/core/retained_store.hpp"

#include <string>
#include <unordered_map>
#include <utility>

#include "broker/core/topic_levels.hpp"
#include "broker/core/trie_node.hpp"

namespace arkmq::core {

namespace {

std::size_t message_bytes(const Message& message) {
  return message.topic.size() + message.payload.size();
}

}  // namespace

struct RetainedStore::Node {
  LevelChildren<Node> children;
  MessagePtr message;

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Frees the subtree iteratively: the default destructor would recurse once per level.
  ~Node() { release_subtree(*this); }

  void release_children(std::vector<std::unique_ptr<Node>>& into) {
    release_level_children(children, into);
  }

  bool is_empty() const { return children.empty() && !message; }
};

// A visited node and the level leading to its child on the path.
struct RetainedStore::Step {
  Node* parent;
  std::string_view level;
};

RetainedStore::RetainedStore() : root_(std::make_unique<Node>()) {}
RetainedStore::~RetainedStore() = default;
RetainedStore::RetainedStore(RetainedStore&&) noexcept = default;
RetainedStore& RetainedStore::operator=(RetainedStore&&) noexcept = default;

void RetainedStore::forget(const Message& message) {
  --size_;
  bytes_ -= message_bytes(message);
}

void RetainedStore::store(MessagePtr message) {
  if (!message) return;
  // A retained PUBLISH with an empty payload removes the retained message and is itself not
  // retained [MQTT-3.3.1-6/7].
  if (message->payload.empty()) {
    erase(message->topic);
    return;
  }
  std::vector<std::string_view> levels;
  split_topic_levels(message->topic, levels);
  Node* node = root_.get();
  for (const std::string_view level : levels) {
    std::unique_ptr<Node>& slot = node->children.try_emplace(std::string(level)).first->second;
    if (!slot) {
      slot = std::make_unique<Node>();
      ++node_count_;
    }
    node = slot.get();
  }
  if (node->message) forget(*node->message);
  ++size_;
  bytes_ += message_bytes(*message);
  node->message = std::move(message);
}

bool RetainedStore::erase(std::string_view topic) {
  std::vector<std::string_view> levels;
  split_topic_levels(topic, levels);
  std::vector<Step> path;
  path.reserve(levels.size());
  Node* node = root_.get();
  for (const std::string_view level : levels) {
    const auto it = node->children.find(level);
    if (it == node->children.end()) return false;
    path.push_back({node, level});
    node = it->second.get();
  }
  if (!node->message) return false;
  forget(*node->message);
  node->message.reset();
  // Free the nodes left empty, deepest first.
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const auto child = it->parent->children.find(it->level);
    if (!child->second->is_empty()) break;
    it->parent->children.erase(child);
    --node_count_;
  }
  return true;
}

MessagePtr RetainedStore::find(std::string_view topic) const {
  std::vector<std::string_view> levels;
  split_topic_levels(topic, levels);
  const Node* node = root_.get();
  for (const std::string_view level : levels) {
    const auto it = node->children.find(level);
    if (it == node->children.end()) return nullptr;
    node = it->second.get();
  }
  return node->message;
}

void RetainedStore::collect_all(const Node& root, bool skip_dollar,
                                std::vector<MessagePtr>& out) {
  if (root.message) out.push_back(root.message);
  std::vector<const Node*> pending;
  for (const auto& [level, child] : root.children) {
    if (skip_dollar && is_dollar_level(level)) continue;
    pending.push_back(child.get());
  }
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    if (node->message) out.push_back(node->message);
    for (const auto& entry : node->children) pending.push_back(entry.second.get());
  }
}

void RetainedStore::match(std::string_view filter, std::vector<MessagePtr>& out) const {
  std::vector<std::string_view> levels;
  split_topic_levels(filter, levels);
  std::vector<std::pair<const Node*, std::size_t>> pending{{root_.get(), 0}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (depth == levels.size()) {
      if (node->message) out.push_back(node->message);
      continue;
    }
    const std::string_view level = levels[depth];
    // [MQTT-4.7.2-1]: a wildcard in the first level does not reach topics starting with '$'.
    const bool at_root = depth == 0;
    if (level == "#") {
      // "sport/#" also matches "sport" itself [MQTT-4.7.1-2]; the root never holds a message.
      collect_all(*node, at_root, out);
    } else if (level == "+") {
      for (const auto& [child_level, child] : node->children) {
        if (at_root && is_dollar_level(child_level)) continue;
        pending.emplace_back(child.get(), depth + 1);
      }
    } else if (const auto it = node->children.find(level); it != node->children.end()) {
      pending.emplace_back(it->second.get(), depth + 1);
    }
  }
}

std::size_t RetainedStore::remove_expired(std::chrono::steady_clock::time_point now) {
  // Pre-order list of (parent, level) edges; walked backwards, children come before parents,
  // so emptied nodes are freed bottom-up without recursion.
  struct Edge {
    Node* parent;
    std::string_view level;
    Node* child;
  };
  std::vector<Edge> edges;
  std::size_t removed = 0;
  std::vector<Node*> pending{root_.get()};
  while (!pending.empty()) {
    Node* node = pending.back();
    pending.pop_back();
    if (node->message && node->message->expires_at && *node->message->expires_at <= now) {
      forget(*node->message);
      node->message.reset();
      ++removed;
    }
    for (auto& [level, child] : node->children) {
      edges.push_back({node, level, child.get()});
      pending.push_back(child.get());
    }
  }
  for (auto it = edges.rbegin(); it != edges.rend(); ++it) {
    if (!it->child->is_empty()) continue;
    it->parent->children.erase(it->parent->children.find(it->level));
    --node_count_;
  }
  return removed;
}

void RetainedStore::for_each(const std::function<void(const MessagePtr&)>& visit) const {
  std::vector<MessagePtr> all;
  all.reserve(size_);
  collect_all(*root_, false, all);
  for (const MessagePtr& message : all) visit(message);
}

}  // namespace arkmq::core
