// A set of packet ids that allocates on first insertion: an empty std::unordered_set is 56
// bytes inline, and an idle session held two (issue 7, memory per idle connection).
// Plain value type; the owner's thread rules apply (Session: under the broker lock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_set>

namespace arkmq::core {

class LazyIdSet {
 public:
  bool contains(std::uint16_t id) const { return ids_ && ids_->contains(id); }
  std::size_t size() const { return ids_ ? ids_->size() : 0; }
  bool empty() const { return size() == 0; }

  // False when the id was there already. The set is kept once allocated.
  bool insert(std::uint16_t id) {
    if (!ids_) ids_ = std::make_unique<std::unordered_set<std::uint16_t>>();
    return ids_->insert(id).second;
  }
  // False when the id was not there.
  bool erase(std::uint16_t id) { return ids_ && ids_->erase(id) != 0; }

 private:
  std::unique_ptr<std::unordered_set<std::uint16_t>> ids_;
};

}  // namespace arkmq::core
