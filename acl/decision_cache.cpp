// DecisionCache: a direct-mapped table of recent decisions, compared in full on every hit.
#include "acl/decision_cache.hpp"

#include <cstring>

namespace arkmq::acl {

namespace {

constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ULL;

std::uint64_t load8(const char* p) {
  std::uint64_t word = 0;
  std::memcpy(&word, p, 8);  // constant size: one load
  return word;
}

// One part into the running hash: 8 bytes at a time, the tail as one (overlapping) last word,
// so no variable-length memcpy; the size goes in first so part boundaries matter.
std::uint64_t mix(std::uint64_t h, std::string_view part) {
  const char* p = part.data();
  std::size_t n = part.size();
  h = (h ^ n) * kMul;
  if (n >= 8) {
    while (n > 8) {
      h = (h ^ load8(p)) * kMul;
      h ^= h >> 29;
      p += 8;
      n -= 8;
    }
    h = (h ^ load8(part.data() + part.size() - 8)) * kMul;  // the last 8 bytes
  } else {
    std::uint64_t word = 0;
    for (std::size_t i = 0; i < n; ++i) word = (word << 8) | static_cast<unsigned char>(p[i]);
    h = (h ^ word) * kMul;
  }
  return h ^ (h >> 29);
}

bool equal(const char* a, std::string_view b) {
  return b.empty() || std::memcmp(a, b.data(), b.size()) == 0;
}

}  // namespace

std::uint64_t DecisionCache::hash(const DecisionKey& key) {
  std::uint64_t h = static_cast<std::uint64_t>(key.action) * 0xBF58476D1CE4E5B9ULL;
  h = mix(h, key.principal);
  h = mix(h, key.client_id);
  h = mix(h, key.topic);
  return h ^ (h >> 31);
}

bool DecisionCache::same(const Slot& slot, const DecisionKey& key, std::uint64_t hash) {
  if (!slot.used || slot.hash != hash || slot.action != key.action) return false;
  if (slot.principal_size != key.principal.size() || slot.client_id_size != key.client_id.size() ||
      slot.text.size() != key.principal.size() + key.client_id.size() + key.topic.size()) {
    return false;
  }
  // The topic first: it is the part that differs between a connection's requests.
  const char* text = slot.text.data();
  return equal(text + key.principal.size() + key.client_id.size(), key.topic) &&
         equal(text, key.principal) && equal(text + key.principal.size(), key.client_id);
}

std::optional<Effect> DecisionCache::find(const DecisionKey& key, std::uint64_t hash) const {
  const Slot& slot = slots_[hash % kSlots];
  if (!same(slot, key, hash)) return std::nullopt;
  return slot.effect;
}

void DecisionCache::store(const DecisionKey& key, std::uint64_t hash, Effect effect) {
  const std::size_t bytes = key.principal.size() + key.client_id.size() + key.topic.size();
  if (bytes > kMaxKeyBytes) return;
  Slot& slot = slots_[hash % kSlots];
  if (!slot.used) ++size_;
  slot.used = true;
  slot.hash = hash;
  slot.action = key.action;
  slot.effect = effect;
  slot.principal_size = static_cast<std::uint32_t>(key.principal.size());
  slot.client_id_size = static_cast<std::uint32_t>(key.client_id.size());
  slot.text.clear();
  slot.text.append(key.principal).append(key.client_id).append(key.topic);
}

void DecisionCache::clear() {
  for (Slot& slot : slots_) slot.used = false;
  size_ = 0;
}

}  // namespace arkmq::acl
