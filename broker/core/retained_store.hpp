// Retained messages by topic, in a trie walked by filters with + and # [MQTT-3.3.1-5..7].
// Owned by the broker core; NOT thread-safe: the caller holds the broker lock for every call.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "broker/core/message.hpp"

namespace arkmq::core {

class RetainedStore {
 public:
  RetainedStore();
  ~RetainedStore();
  RetainedStore(const RetainedStore&) = delete;
  RetainedStore& operator=(const RetainedStore&) = delete;
  RetainedStore(RetainedStore&&) noexcept;
  RetainedStore& operator=(RetainedStore&&) noexcept;

  // Replaces the topic's retained message; an empty payload deletes it and is not stored
  // [MQTT-3.3.1-6/7]. A null pointer is ignored. The retain flag of `message` is not checked.
  void store(MessagePtr message);

  // Removes the topic's retained message; false when there was none.
  bool erase(std::string_view topic);

  // The retained message of exactly this topic name, or null.
  MessagePtr find(std::string_view topic) const;

  // Appends (does not clear `out`) the retained messages whose topic matches `filter` (validated,
  // may hold + and #). Only the branches the filter can reach are walked; wildcards at the
  // first level skip topics starting with '$' [MQTT-4.7.2-1]. Expired messages are returned
  // until remove_expired runs, so callers delivering them still check expires_at.
  void match(std::string_view filter, std::vector<MessagePtr>& out) const;

  // Removes messages whose expires_at <= now [MQTT-3.3.2-5]; walks the whole store.
  // Returns how many were removed.
  std::size_t remove_expired(std::chrono::steady_clock::time_point now);

  // Calls `visit` for every retained message (e.g. persistence snapshots). Do not modify the
  // store from inside `visit`.
  void for_each(const std::function<void(const MessagePtr&)>& visit) const;

  std::size_t size() const { return size_; }
  // Sum of topic + payload bytes of the stored messages (for quotas and metrics).
  std::size_t bytes() const { return bytes_; }
  // Trie nodes besides the root; 0 when empty (lets tests check pruning).
  std::size_t node_count() const { return node_count_; }

 private:
  struct Node;
  struct Step;

  // Every walk uses an explicit stack, not recursion: topics may have 32k levels.
  static void collect_all(const Node& root, bool skip_dollar, std::vector<MessagePtr>& out);
  void forget(const Message& message);

  std::unique_ptr<Node> root_;
  std::size_t size_ = 0;
  std::size_t bytes_ = 0;
  std::size_t node_count_ = 0;
};

}  // namespace arkmq::core
