// Per-publisher sequence numbers seen by one subscriber: counts distinct messages, duplicates and
// late (reordered) arrivals, so losses follow from what each publisher sent. One per subscriber,
// owned by its io thread; sized once, so recording never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace arkmq::bench {

struct SequenceCounts {
  std::uint64_t received = 0;    // every arrival
  std::uint64_t distinct = 0;    // arrivals of a sequence number not seen before
  std::uint64_t duplicates = 0;  // arrivals of a sequence number seen before
  std::uint64_t reordered = 0;   // arrivals below the highest number already seen
  std::uint64_t foreign = 0;     // arrivals from a publisher index out of range (ignored)
  SequenceCounts& operator+=(const SequenceCounts& other);
};

class SequenceTracker {
 public:
  // Duplicates are told apart from late arrivals within this many numbers of the highest seen;
  // an older arrival counts as late (distinct).
  static constexpr std::uint64_t window = 1024;

  explicit SequenceTracker(std::size_t publishers);

  void record(std::uint32_t publisher, std::uint64_t sequence);

  const SequenceCounts& counts() const { return counts_; }
  std::uint64_t distinct_from(std::uint32_t publisher) const;
  // Messages `publisher` sent (numbers 0..sent-1) that never arrived here.
  std::uint64_t lost_from(std::uint32_t publisher, std::uint64_t sent) const;

 private:
  struct Stream {
    bool any = false;
    std::uint64_t highest = 0;
    std::uint64_t distinct = 0;
    std::array<std::uint64_t, window / 64> seen{};  // bit (n % window) for n in (highest-window, highest]

    bool test(std::uint64_t n) const { return (seen[(n % window) / 64] >> (n % 64)) & 1U; }
    void set(std::uint64_t n) { seen[(n % window) / 64] |= std::uint64_t{1} << (n % 64); }
    void clear(std::uint64_t n) { seen[(n % window) / 64] &= ~(std::uint64_t{1} << (n % 64)); }
  };

  std::vector<Stream> streams_;
  SequenceCounts counts_;
};

}  // namespace arkmq::bench
