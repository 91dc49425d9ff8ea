// The subscription trie: topic filter -> subscribers, with shared groups [MQTT-4.8.2].
// Owned by the broker core; NOT thread-safe: the caller holds the broker lock for every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/protocol/packets.hpp"

namespace arkmq::core {

// Opaque, chosen by the caller, unique per session (not per connection).
using SessionKey = std::uint64_t;

// One session's subscription to one filter.
struct Subscription {
  SessionKey session = 0;
  protocol::SubscriptionOptions options;
  std::uint32_t subscription_id = 0;  // 0 = none [MQTT-3.8.2.1.2]
  bool operator==(const Subscription&) const = default;
};

// One result of SubscriptionTree::match.
struct MatchedSubscription {
  Subscription subscription;
  bool shared = false;  // chosen from a shared group (so at most one member per group)
};

// One entry of SubscriptionTree::subscriptions_of: what a session state needs to persist.
struct SessionSubscription {
  std::string filter;       // the plain filter (without "$share/<group>/")
  std::string share_group;  // empty = not shared
  Subscription subscription;
  bool operator==(const SessionSubscription&) const = default;
};

// Returns true when the session may receive a shared-group message now (e.g. it is online).
// An empty function means every session is eligible.
using EligibilityCheck = std::function<bool(SessionKey)>;

// Returns true when a shared-group member may take a message that no eligible member can take
// (e.g. a persistent offline session with room in its queue [MQTT-4.8.2]). Empty: none may.
using FallbackCheck = std::function<bool(const Subscription&)>;

class SubscriptionTree {
 public:
  SubscriptionTree();
  ~SubscriptionTree();
  SubscriptionTree(const SubscriptionTree&) = delete;
  SubscriptionTree& operator=(const SubscriptionTree&) = delete;
  SubscriptionTree(SubscriptionTree&&) noexcept;
  SubscriptionTree& operator=(SubscriptionTree&&) noexcept;

  // `filter` is the plain topic filter, already validated (for "$share/g/f" pass f and g).
  // Returns true when it replaced an existing subscription of the same session to the same
  // filter and group [MQTT-3.8.4-3]; a replaced shared member keeps its place in the rotation.
  bool subscribe(std::string_view filter, std::string_view share_group, const Subscription& sub);

  // Returns false when the session had no such subscription. Empty trie nodes are freed.
  bool unsubscribe(std::string_view filter, std::string_view share_group, SessionKey session);

  // Removes every subscription of the session; O(subscriptions of that session x levels).
  void remove_session(SessionKey session);

  // Appends (does not clear `out`) every subscription matching the topic name:
  // - every non-shared one; a session appears once per overlapping filter and the caller merges
  //   (max QoS, all subscription ids) [MQTT-3.3.4-2/3/4/5];
  // - for each shared group of each matching filter exactly one member, chosen round robin,
  //   skipping members for which `is_eligible` is false; none when no member is eligible.
  // Filters starting with a wildcard never match topics starting with '$' [MQTT-4.7.2-1].
  // Not const: it advances the shared groups' rotation. `is_eligible` must not call back into
  // this tree.
  void match(std::string_view topic, const EligibilityCheck& is_eligible,
             std::vector<MatchedSubscription>& out);
  // As above, but a group with no eligible member gives one member passing `fallback`, chosen
  // by a second round robin of its own (so offline members take turns too).
  void match(std::string_view topic, const EligibilityCheck& is_eligible,
             const FallbackCheck& fallback, std::vector<MatchedSubscription>& out);

  // Number of subscriptions; each shared-group member counts once.
  std::size_t size() const { return size_; }
  // Number of trie nodes besides the root; 0 when empty (lets tests check pruning).
  std::size_t node_count() const { return node_count_; }
  // Number of sessions with at least one subscription.
  std::size_t session_count() const { return by_session_.size(); }

  // The subscriptions of one session (unordered), for session state and persistence.
  std::vector<SessionSubscription> subscriptions_of(SessionKey session) const;
  bool has_subscriptions(SessionKey session) const { return by_session_.contains(session); }

 private:
  struct Node;
  struct Path;

  Node* find_node(std::string_view filter, Path* path) const;
  Node& make_node(std::string_view filter);
  void prune(Path& path);
  bool remove_from_node(Node& node, std::string_view share_group, SessionKey session);
  void forget_in_index(std::string_view filter, std::string_view share_group, SessionKey session);
  static void collect(Node& node, const EligibilityCheck& is_eligible,
                      const FallbackCheck& fallback, std::vector<MatchedSubscription>& out);

  std::unique_ptr<Node> root_;
  std::size_t size_ = 0;
  std::size_t node_count_ = 0;
  // session -> its subscriptions, so remove_session needs no trie scan.
  std::unordered_map<SessionKey, std::vector<SessionSubscription>> by_session_;
  // Scratch for match, kept to avoid reallocations. match walks with an explicit stack, not
  // recursion, so a 32k-level filter cannot overflow a worker's stack.
  std::vector<std::string_view> levels_;
  std::vector<std::pair<Node*, std::size_t>> pending_;  // (node, depth) still to visit
};

}  // namespace arkmq::core
