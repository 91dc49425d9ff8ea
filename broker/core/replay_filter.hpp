// ReplayFilter: drops replayed duplicates of edge outbox telemetry (docs/edge.md, "Duplicates").
// Owned by the svc-app engineer; lives in BrokerData, so only under the broker lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/protocol/packets.hpp"

namespace arkmq::core {

// What arkmq-edge stamps on an outbox message: `arkmq-epoch` (the outbox file's random id),
// `arkmq-seq` (strictly increasing per epoch, from 1) and `arkmq-replay: 1` when the message may
// have been sent before.
struct ReplayStamp {
  std::string_view epoch;
  std::uint64_t seq = 0;
  bool replay = false;
};

// The stamp of a QoS 1/2 PUBLISH carrying both `arkmq-epoch` and `arkmq-seq`, well formed
// (epoch 1..64 bytes; seq decimal 1..2^64-1; each property at most once). Anything else is
// nullopt: the message takes no part (a malformed stamp counts as unmarked and unrecorded).
// `replay` is true only for exactly one `arkmq-replay` whose value is "1". Views into `publish`.
std::optional<ReplayStamp> replay_stamp(const protocol::Publish& publish);

struct ReplayLimits {
  std::size_t max_principals = 10'000;       // least recently used forgotten first
  std::size_t max_epochs_per_principal = 4;  // least recently used forgotten first
  std::size_t window = 4'096;                // seqs remembered above the contiguous mark
};

struct ReplayStats {
  std::uint64_t duplicates = 0;  // marked messages dropped: their seq was already delivered
  // Marked messages delivered although they might be duplicates, because a bound made the
  // filter forget (a window slide, an evicted epoch or principal) or because the seq lies
  // below the first one seen for the epoch (e.g. after a broker restart).
  std::uint64_t unchecked = 0;
  std::uint64_t forgotten = 0;  // epochs and principals evicted, window slides past a gap
};

enum class ReplayVerdict { deliver, duplicate };

// Rules (per principal and epoch):
// - A message without `replay` is never a duplicate; its seq is recorded as delivered.
// - A marked message is a duplicate exactly when its seq is known to have been delivered.
// - What the filter cannot know (forgotten to keep the bounds, or older than the first seq seen
//   for the epoch) is delivered: a possible duplicate is preferred to a lost message.
// - Known = the contiguous run from the first seq seen up to `floor`, plus a bitmap of `window`
//   seqs above `window_base`. In-order traffic only moves `floor` (no bitmap). A seq beyond the
//   bitmap slides it forward; seqs it leaves behind that were never delivered become unknown.
// Not thread-safe: the broker lock guards it.
class ReplayFilter {
 public:
  explicit ReplayFilter(ReplayLimits limits = {});

  // Decides and records in one step: call only for a message that will be routed when the
  // verdict is `deliver`. An empty principal (anonymous) takes no part: always `deliver`.
  ReplayVerdict check(std::string_view principal, const ReplayStamp& stamp);

  const ReplayStats& stats() const { return stats_; }
  std::size_t principals() const { return principals_.size(); }

 private:
  struct Epoch {
    std::string id;
    std::uint64_t start = 0;        // first seq seen: seqs below it are unknown
    std::uint64_t floor = 0;        // every seq in [start, floor] was delivered
    std::uint64_t window_base = 0;  // bitmap covers (window_base, window_base + window]
    std::vector<std::uint64_t> bits;  // ring bitmap by seq % window; empty while unused
    std::size_t bits_set = 0;
    std::uint64_t last_used = 0;
  };
  struct Principal {
    std::vector<Epoch> epochs;
    std::list<std::string>::iterator lru;
  };

  Epoch& epoch_for(Principal& principal, std::string_view epoch, std::uint64_t seq);
  ReplayVerdict check_seq(Epoch& epoch, std::uint64_t seq, bool replay);
  bool test_bit(const Epoch& epoch, std::uint64_t seq) const;
  void set_bit(Epoch& epoch, std::uint64_t seq);
  void clear_bit(Epoch& epoch, std::uint64_t seq);
  void slide_to(Epoch& epoch, std::uint64_t new_base);
  void advance_floor(Epoch& epoch);

  ReplayLimits limits_;
  ReplayStats stats_;
  std::uint64_t clock_ = 0;  // use counter for the epochs' LRU
  std::unordered_map<std::string, Principal> principals_;
  std::list<std::string> lru_;  // principals, most recently used first
};

// $SYS values: ("messages/replay_duplicates", "3"), ("messages/replay_unchecked", "0").
std::vector<std::pair<std::string, std::string>> replay_sys_values(const ReplayFilter& filter);

// The publish handler's hook, under the broker lock right before routing: true when `publish`
// is a replayed duplicate to acknowledge normally and not route (counted, logged at debug).
// Records the seq of every stamped message it lets through.
bool drop_replayed_duplicate(ReplayFilter& filter, std::string_view principal,
                             std::string_view client_id, const protocol::Publish& publish);

}  // namespace arkmq::core
