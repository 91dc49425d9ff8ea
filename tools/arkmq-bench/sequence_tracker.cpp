// SequenceTracker: duplicate and reordering detection over a sliding bitmap per publisher.
#include "tools/arkmq-bench/sequence_tracker.hpp"

namespace arkmq::bench {

SequenceCounts& SequenceCounts::operator+=(const SequenceCounts& other) {
  received += other.received;
  distinct += other.distinct;
  duplicates += other.duplicates;
  reordered += other.reordered;
  foreign += other.foreign;
  return *this;
}

SequenceTracker::SequenceTracker(std::size_t publishers) : streams_(publishers) {}

void SequenceTracker::record(std::uint32_t publisher, std::uint64_t sequence) {
  ++counts_.received;
  if (publisher >= streams_.size()) {
    ++counts_.foreign;
    return;
  }
  Stream& s = streams_[publisher];
  if (!s.any || sequence > s.highest) {
    if (s.any) {
      // Forget the numbers that slide out of the window as `highest` advances.
      const std::uint64_t gap = sequence - s.highest;
      if (gap >= window) {
        s.seen.fill(0);
      } else {
        for (std::uint64_t n = s.highest + 1; n <= sequence; ++n) s.clear(n);
      }
    }
    s.any = true;
    s.highest = sequence;
    s.set(sequence);
    ++s.distinct;
    ++counts_.distinct;
    return;
  }
  if (s.highest - sequence >= window) {  // too old to tell: a late arrival
    ++s.distinct;
    ++counts_.distinct;
    ++counts_.reordered;
    return;
  }
  if (s.test(sequence)) {
    ++counts_.duplicates;
    return;
  }
  s.set(sequence);
  ++s.distinct;
  ++counts_.distinct;
  ++counts_.reordered;
}

std::uint64_t SequenceTracker::distinct_from(std::uint32_t publisher) const {
  return publisher < streams_.size() ? streams_[publisher].distinct : 0;
}

std::uint64_t SequenceTracker::lost_from(std::uint32_t publisher, std::uint64_t sent) const {
  const std::uint64_t got = distinct_from(publisher);
  return sent > got ? sent - got : 0;
}

}  // namespace arkmq::bench
