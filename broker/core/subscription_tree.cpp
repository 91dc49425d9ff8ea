// The subscription trie. Plain levels live in a hash map per node; '+' and '#' have their own
// child pointers so matching never hashes a wildcard and never scans siblings.
#include "broker/core/subscription_tree.hpp"

#include <algorithm>
#include <utility>

#include "broker/core/topic_levels.hpp"
#include "broker/core/trie_node.hpp"

namespace arkmq::core {

namespace {

// One shared subscription "$share/<name>/<filter>": its members take turns [MQTT-4.8.2].
struct SharedGroup {
  std::string name;
  std::vector<Subscription> members;  // order = rotation order
  std::size_t next = 0;               // index of the member to try first
  std::size_t next_fallback = 0;      // the same, when no member is eligible
};

bool is_plus(std::string_view level) { return level == "+"; }
bool is_hash(std::string_view level) { return level == "#"; }

}  // namespace

struct SubscriptionTree::Node {
  LevelChildren<Node> children;
  std::unique_ptr<Node> plus;
  std::unique_ptr<Node> hash;
  std::unordered_map<SessionKey, Subscription> subscribers;  // non-shared, one per session
  std::vector<SharedGroup> groups;                           // usually zero or one

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Frees the subtree iteratively: the default destructor would recurse once per level.
  ~Node() { release_subtree(*this); }

  void release_children(std::vector<std::unique_ptr<Node>>& into) {
    release_level_children(children, into);
    if (plus) into.push_back(std::move(plus));
    if (hash) into.push_back(std::move(hash));
  }

  bool is_empty() const {
    return children.empty() && !plus && !hash && subscribers.empty() && groups.empty();
  }

  Node* child(std::string_view level) const {
    if (is_plus(level)) return plus.get();
    if (is_hash(level)) return hash.get();
    const auto it = children.find(level);
    return it == children.end() ? nullptr : it->second.get();
  }

  SharedGroup* group(std::string_view name) {
    const auto it = std::find_if(groups.begin(), groups.end(),
                                 [&](const SharedGroup& g) { return g.name == name; });
    return it == groups.end() ? nullptr : &*it;
  }
};

// The nodes visited from the root to a filter's node: (parent, level leading to the child).
struct SubscriptionTree::Path {
  std::vector<std::pair<Node*, std::string_view>> steps;
};

SubscriptionTree::SubscriptionTree() : root_(std::make_unique<Node>()) {}
SubscriptionTree::~SubscriptionTree() = default;
SubscriptionTree::SubscriptionTree(SubscriptionTree&&) noexcept = default;
SubscriptionTree& SubscriptionTree::operator=(SubscriptionTree&&) noexcept = default;

SubscriptionTree::Node* SubscriptionTree::find_node(std::string_view filter, Path* path) const {
  std::vector<std::string_view> levels;
  split_topic_levels(filter, levels);
  Node* node = root_.get();
  for (const std::string_view level : levels) {
    Node* next = node->child(level);
    if (next == nullptr) return nullptr;
    if (path != nullptr) path->steps.emplace_back(node, level);
    node = next;
  }
  return node;
}

SubscriptionTree::Node& SubscriptionTree::make_node(std::string_view filter) {
  std::vector<std::string_view> levels;
  split_topic_levels(filter, levels);
  Node* node = root_.get();
  for (const std::string_view level : levels) {
    std::unique_ptr<Node>* slot = nullptr;
    if (is_plus(level)) {
      slot = &node->plus;
    } else if (is_hash(level)) {
      slot = &node->hash;
    } else {
      slot = &node->children.try_emplace(std::string(level)).first->second;
    }
    if (!*slot) {
      *slot = std::make_unique<Node>();
      ++node_count_;
    }
    node = slot->get();
  }
  return *node;
}

// Frees the nodes that became empty, deepest first, so churn does not grow memory.
void SubscriptionTree::prune(Path& path) {
  for (auto it = path.steps.rbegin(); it != path.steps.rend(); ++it) {
    Node& parent = *it->first;
    const std::string_view level = it->second;
    const Node* child = parent.child(level);
    if (child == nullptr || !child->is_empty()) return;
    if (is_plus(level)) {
      parent.plus.reset();
    } else if (is_hash(level)) {
      parent.hash.reset();
    } else {
      parent.children.erase(parent.children.find(level));
    }
    --node_count_;
  }
}

bool SubscriptionTree::subscribe(std::string_view filter, std::string_view share_group,
                                 const Subscription& sub) {
  Node& node = make_node(filter);
  bool replaced = false;
  if (share_group.empty()) {
    auto [it, inserted] = node.subscribers.try_emplace(sub.session, sub);
    if (!inserted) it->second = sub;
    replaced = !inserted;
  } else {
    SharedGroup* group = node.group(share_group);
    if (group == nullptr) {
      group = &node.groups.emplace_back();
      group->name = std::string(share_group);
    }
    auto it = std::find_if(group->members.begin(), group->members.end(),
                           [&](const Subscription& m) { return m.session == sub.session; });
    if (it != group->members.end()) {
      *it = sub;  // keeps its place in the rotation
      replaced = true;
    } else {
      group->members.push_back(sub);
    }
  }

  std::vector<SessionSubscription>& entries = by_session_[sub.session];
  if (replaced) {
    for (SessionSubscription& entry : entries) {
      if (entry.filter == filter && entry.share_group == share_group) {
        entry.subscription = sub;
        break;
      }
    }
  } else {
    ++size_;
    entries.push_back(SessionSubscription{std::string(filter), std::string(share_group), sub});
  }
  return replaced;
}

bool SubscriptionTree::remove_from_node(Node& node, std::string_view share_group,
                                        SessionKey session) {
  if (share_group.empty()) return node.subscribers.erase(session) > 0;

  SharedGroup* group = node.group(share_group);
  if (group == nullptr) return false;
  auto it = std::find_if(group->members.begin(), group->members.end(),
                         [&](const Subscription& m) { return m.session == session; });
  if (it == group->members.end()) return false;
  const auto index = static_cast<std::size_t>(it - group->members.begin());
  group->members.erase(it);
  // Keep pointing at the same next member so removal does not skip anyone's turn.
  if (index < group->next) --group->next;
  if (group->next >= group->members.size()) group->next = 0;
  if (group->members.empty()) {
    node.groups.erase(node.groups.begin() + (group - node.groups.data()));
  }
  return true;
}

void SubscriptionTree::forget_in_index(std::string_view filter, std::string_view share_group,
                                       SessionKey session) {
  const auto found = by_session_.find(session);
  if (found == by_session_.end()) return;
  std::vector<SessionSubscription>& entries = found->second;
  auto it = std::find_if(entries.begin(), entries.end(), [&](const SessionSubscription& e) {
    return e.filter == filter && e.share_group == share_group;
  });
  if (it != entries.end()) {
    *it = std::move(entries.back());
    entries.pop_back();
  }
  if (entries.empty()) by_session_.erase(found);
}

bool SubscriptionTree::unsubscribe(std::string_view filter, std::string_view share_group,
                                   SessionKey session) {
  Path path;
  Node* node = find_node(filter, &path);
  if (node == nullptr || !remove_from_node(*node, share_group, session)) return false;
  --size_;
  forget_in_index(filter, share_group, session);
  prune(path);
  return true;
}

void SubscriptionTree::remove_session(SessionKey session) {
  const auto found = by_session_.find(session);
  if (found == by_session_.end()) return;
  const std::vector<SessionSubscription> entries = std::move(found->second);
  by_session_.erase(found);
  for (const SessionSubscription& entry : entries) {
    Path path;
    Node* node = find_node(entry.filter, &path);
    if (node != nullptr && remove_from_node(*node, entry.share_group, session)) {
      --size_;
      prune(path);
    }
  }
}

std::vector<SessionSubscription> SubscriptionTree::subscriptions_of(SessionKey session) const {
  const auto found = by_session_.find(session);
  if (found == by_session_.end()) return {};
  return found->second;
}

void SubscriptionTree::collect(Node& node, const EligibilityCheck& is_eligible,
                               const FallbackCheck& fallback,
                               std::vector<MatchedSubscription>& out) {
  for (const auto& [session, sub] : node.subscribers) out.push_back({sub, false});
  for (SharedGroup& group : node.groups) {
    const std::size_t count = group.members.size();
    bool chosen = false;
    for (std::size_t k = 0; k < count && !chosen; ++k) {
      const std::size_t i = (group.next + k) % count;
      if (!is_eligible || is_eligible(group.members[i].session)) {
        out.push_back({group.members[i], true});
        group.next = (i + 1) % count;
        chosen = true;
      }
    }
    for (std::size_t k = 0; k < count && !chosen && fallback; ++k) {
      const std::size_t i = (group.next_fallback + k) % count;
      if (fallback(group.members[i])) {
        out.push_back({group.members[i], true});
        group.next_fallback = (i + 1) % count;
        chosen = true;
      }
    }
  }
}

void SubscriptionTree::match(std::string_view topic, const EligibilityCheck& is_eligible,
                             std::vector<MatchedSubscription>& out) {
  match(topic, is_eligible, FallbackCheck{}, out);
}

void SubscriptionTree::match(std::string_view topic, const EligibilityCheck& is_eligible,
                             const FallbackCheck& fallback,
                             std::vector<MatchedSubscription>& out) {
  split_topic_levels(topic, levels_);
  // [MQTT-4.7.2-1]: no wildcard at the first level matches a topic starting with '$'.
  const bool dollar_topic = is_dollar_level(levels_[0]);
  pending_.clear();
  pending_.emplace_back(root_.get(), 0);
  while (!pending_.empty()) {
    const auto [node, depth] = pending_.back();
    pending_.pop_back();
    const bool wildcards_allowed = depth != 0 || !dollar_topic;
    // '#' also matches the parent level: "sport/#" matches "sport" [MQTT-4.7.1-2].
    if (node->hash && wildcards_allowed) collect(*node->hash, is_eligible, fallback, out);
    if (depth == levels_.size()) {
      collect(*node, is_eligible, fallback, out);
      continue;
    }
    const auto it = node->children.find(levels_[depth]);
    if (it != node->children.end()) pending_.emplace_back(it->second.get(), depth + 1);
    if (node->plus && wildcards_allowed) pending_.emplace_back(node->plus.get(), depth + 1);
  }
}

}  // namespace arkmq::core
