// A small open-addressing hash map from a topic level (or a name) to a value, searched by
// string_view with a hash the caller may compute once and reuse. Filled at compile time, then
// read-only: any thread may call find.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace arkmq::acl::detail {

// Levels are short: eight bytes at a time with a multiply-xorshift mix, inlined. The keys are the
// administrator's rule levels and names, so request-chosen levels cannot lengthen the probes.
inline std::uint64_t level_hash(std::string_view level) noexcept {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  std::uint64_t hash = level.size() * kMul;
  const char* data = level.data();
  std::size_t size = level.size();
  while (size >= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, data, 8);
    hash = (hash ^ word) * kMul;
    hash ^= hash >> 29;
    data += 8;
    size -= 8;
  }
  if (size > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, data, size);
    hash = (hash ^ word) * kMul;
    hash ^= hash >> 29;
  }
  hash *= 0xBF58476D1CE4E5B9ULL;
  return hash ^ (hash >> 31);
}

template <class Value>
class LevelMap {
 public:
  bool empty() const { return size_ == 0; }

  const Value* find(std::string_view key) const { return find(key, level_hash(key)); }

  // Power-of-two table, linear probing, at most half full: a lookup is one mask and a probe or
  // two (no division, unlike std::unordered_map's prime buckets).
  const Value* find(std::string_view key, std::uint64_t hash) const {
    if (size_ == 0) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(hash) & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (!slot.used) return nullptr;
      if (slot.hash == hash && slot.key == key) return &slot.value;
    }
  }

  Value& operator[](std::string_view key) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const std::uint64_t hash = level_hash(key);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(hash) & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (!slot.used) {
        slot.used = true;
        slot.hash = hash;
        slot.key = std::string(key);
        ++size_;
        return slot.value;
      }
      if (slot.hash == hash && slot.key == key) return slot.value;
    }
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    bool used = false;
    std::string key;
    Value value{};
  };

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(old.empty() ? 4 : old.size() * 2);
    const std::size_t mask = slots_.size() - 1;
    for (auto& slot : old) {
      if (!slot.used) continue;
      std::size_t i = static_cast<std::size_t>(slot.hash) & mask;
      while (slots_[i].used) i = (i + 1) & mask;
      slots_[i] = std::move(slot);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace arkmq::acl::detail
