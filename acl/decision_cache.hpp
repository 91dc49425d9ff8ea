// Recent decisions of one thread for one policy snapshot: the broker asks the same (principal,
// client id, action, topic) for every message of a stream. Single-threaded: Authority::check
// keeps one per worker thread and clears it whenever the policy snapshot changes (a reload).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "acl/model.hpp"

namespace arkmq::acl {

// The request a decision is cached under. Every field is compared in full on a lookup (never a
// hash alone), so a hit is always the decision for exactly this request.
struct DecisionKey {
  std::string_view principal;  // empty: anonymous
  std::string_view client_id;
  Action action = Action::publish;
  std::string_view topic;
};

class DecisionCache {
 public:
  // Direct-mapped: a new entry replaces whatever shared its slot. 1,024 slots cover the streams
  // of a worker's busiest connections; a miss costs one hash and one full check.
  static constexpr std::size_t kSlots = 1024;
  // Longer requests (principal + client id + topic) are decided every time, not stored.
  static constexpr std::size_t kMaxKeyBytes = 512;

  static std::uint64_t hash(const DecisionKey& key);

  // `hash` is hash(key), computed once by the caller for find and store.
  std::optional<Effect> find(const DecisionKey& key, std::uint64_t hash) const;
  void store(const DecisionKey& key, std::uint64_t hash, Effect effect);
  void clear();

  std::size_t size() const { return size_; }  // filled slots (for tests)

 private:
  struct Slot {
    std::uint64_t hash = 0;
    bool used = false;
    Action action = Action::publish;
    Effect effect = Effect::deny;
    std::uint32_t principal_size = 0;
    std::uint32_t client_id_size = 0;
    std::string text;  // principal + client id + topic, back to back; capacity is reused
  };
  static bool same(const Slot& slot, const DecisionKey& key, std::uint64_t hash);

  std::array<Slot, kSlots> slots_{};
  std::size_t size_ = 0;
};

}  // namespace arkmq::acl
