// A std::deque that allocates on first insertion: libstdc++ gives even an empty deque a map and
// a 512-byte node, which every idle session paid twice (issue 7, memory per idle connection).
// Plain value type; the owner's thread rules apply (Session: under the broker lock).
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <utility>

namespace arkmq::core {

template <typename T>
class LazyDeque {
 public:
  using iterator = typename std::deque<T>::iterator;
  using const_iterator = typename std::deque<T>::const_iterator;

  // Value-initialised iterators compare equal, so an unallocated deque iterates as empty.
  iterator begin() { return items_ ? items_->begin() : iterator{}; }
  iterator end() { return items_ ? items_->end() : iterator{}; }
  const_iterator begin() const { return items_ ? items_->cbegin() : const_iterator{}; }
  const_iterator end() const { return items_ ? items_->cend() : const_iterator{}; }

  bool empty() const { return !items_ || items_->empty(); }
  std::size_t size() const { return items_ ? items_->size() : 0; }

  // Only on a non-empty deque, as for std::deque.
  T& front() { return items_->front(); }
  T& back() { return items_->back(); }
  void pop_front() { items_->pop_front(); }
  iterator erase(iterator it) { return items_->erase(it); }

  // Kept once allocated: a session that used it once is likely to again.
  void push_back(T value) {
    if (!items_) items_ = std::make_unique<std::deque<T>>();
    items_->push_back(std::move(value));
  }

  // std::erase_if for the deque; returns how many were removed.
  template <typename Predicate>
  std::size_t erase_if(Predicate drop) {
    return items_ ? std::erase_if(*items_, drop) : 0;
  }

 private:
  std::unique_ptr<std::deque<T>> items_;
};

}  // namespace arkmq::core
