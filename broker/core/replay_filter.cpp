// ReplayFilter: per (principal, epoch) a contiguous mark plus a bounded ring bitmap.
#include "broker/core/replay_filter.hpp"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

namespace arkmq::core {
namespace {

constexpr std::string_view kEpoch = "arkmq-epoch";
constexpr std::string_view kSeq = "arkmq-seq";
constexpr std::string_view kReplay = "arkmq-replay";
constexpr std::size_t kMaxEpochBytes = 64;
constexpr std::size_t kBitsPerWord = 64;

std::optional<std::uint64_t> parse_seq(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return std::nullopt;  // no sign, no spaces, no hex
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

// The window in whole 64-bit words, at least one.
std::size_t normalized_window(std::size_t window) {
  return std::max<std::size_t>(kBitsPerWord, (window + kBitsPerWord - 1) / kBitsPerWord * kBitsPerWord);
}

}  // namespace

std::optional<ReplayStamp> replay_stamp(const protocol::Publish& publish) {
  if (publish.qos == protocol::QoS::at_most_once) return std::nullopt;  // never in the outbox
  const std::string* epoch = nullptr;
  const std::string* seq = nullptr;
  const std::string* replay = nullptr;
  int epochs = 0;
  int seqs = 0;
  int replays = 0;
  for (const auto& property : publish.properties.user_properties) {
    if (property.name == kEpoch) {
      epoch = &property.value;
      ++epochs;
    } else if (property.name == kSeq) {
      seq = &property.value;
      ++seqs;
    } else if (property.name == kReplay) {
      replay = &property.value;
      ++replays;
    }
  }
  // A repeated property is ambiguous: the message takes no part rather than be guessed at.
  if (epochs != 1 || seqs != 1) return std::nullopt;
  if (epoch->empty() || epoch->size() > kMaxEpochBytes) return std::nullopt;
  const auto number = parse_seq(*seq);
  if (!number) return std::nullopt;
  return ReplayStamp{*epoch, *number, replays == 1 && *replay == "1"};
}

ReplayFilter::ReplayFilter(ReplayLimits limits) : limits_(limits) {
  limits_.window = normalized_window(limits_.window);
  limits_.max_principals = std::max<std::size_t>(1, limits_.max_principals);
  limits_.max_epochs_per_principal = std::max<std::size_t>(1, limits_.max_epochs_per_principal);
}

ReplayVerdict ReplayFilter::check(std::string_view principal, const ReplayStamp& stamp) {
  if (principal.empty() || stamp.seq == 0) return ReplayVerdict::deliver;
  ++clock_;
  std::string key(principal);
  auto found = principals_.find(key);
  if (found == principals_.end()) {
    if (principals_.size() >= limits_.max_principals) {
      // Forgetting lets a later duplicate through; it never drops a message.
      principals_.erase(lru_.back());
      lru_.pop_back();
      ++stats_.forgotten;
    }
    lru_.push_front(key);
    found = principals_.emplace(std::move(key), Principal{{}, lru_.begin()}).first;
  } else if (found->second.lru != lru_.begin()) {
    lru_.splice(lru_.begin(), lru_, found->second.lru);
  }
  Epoch& epoch = epoch_for(found->second, stamp.epoch, stamp.seq);
  const ReplayVerdict verdict = check_seq(epoch, stamp.seq, stamp.replay);
  if (verdict == ReplayVerdict::duplicate) ++stats_.duplicates;
  return verdict;
}

ReplayFilter::Epoch& ReplayFilter::epoch_for(Principal& principal, std::string_view id,
                                             std::uint64_t seq) {
  auto& epochs = principal.epochs;
  for (Epoch& epoch : epochs) {
    if (epoch.id == id) {
      epoch.last_used = clock_;
      return epoch;
    }
  }
  if (epochs.size() >= limits_.max_epochs_per_principal) {
    const auto oldest = std::min_element(epochs.begin(), epochs.end(),
                                         [](const Epoch& a, const Epoch& b) {
                                           return a.last_used < b.last_used;
                                         });
    epochs.erase(oldest);
    ++stats_.forgotten;
  }
  Epoch epoch;
  epoch.id = std::string(id);
  epoch.start = seq;  // what came before the first seq seen is unknown (not "delivered")
  epoch.floor = seq - 1;
  epoch.window_base = seq - 1;
  epoch.last_used = clock_;
  epochs.push_back(std::move(epoch));
  return epochs.back();
}

ReplayVerdict ReplayFilter::check_seq(Epoch& epoch, std::uint64_t seq, bool replay) {
  if (seq < epoch.start) {
    // Older than anything seen: unknown. One right below the run extends it.
    if (seq + 1 == epoch.start) epoch.start = seq;
    if (replay) ++stats_.unchecked;
    return ReplayVerdict::deliver;
  }
  if (seq <= epoch.floor) {
    return replay ? ReplayVerdict::duplicate : ReplayVerdict::deliver;
  }
  if (seq <= epoch.window_base) {
    if (replay) ++stats_.unchecked;  // forgotten when the bitmap slid past it
    return ReplayVerdict::deliver;
  }
  const std::uint64_t window = limits_.window;
  if (epoch.window_base == epoch.floor && seq == epoch.floor + 1) {
    // In order: the common case moves the mark and touches no bitmap.
    epoch.floor = seq;
    epoch.window_base = seq;
    advance_floor(epoch);
    return ReplayVerdict::deliver;
  }
  if (seq - epoch.window_base > window) slide_to(epoch, seq - window);
  if (test_bit(epoch, seq)) {
    return replay ? ReplayVerdict::duplicate : ReplayVerdict::deliver;
  }
  set_bit(epoch, seq);
  advance_floor(epoch);
  return ReplayVerdict::deliver;
}

bool ReplayFilter::test_bit(const Epoch& epoch, std::uint64_t seq) const {
  if (epoch.bits.empty()) return false;
  const std::uint64_t index = seq % limits_.window;
  return (epoch.bits[index / kBitsPerWord] >> (index % kBitsPerWord)) & 1U;
}

void ReplayFilter::set_bit(Epoch& epoch, std::uint64_t seq) {
  if (epoch.bits.empty()) epoch.bits.assign(limits_.window / kBitsPerWord, 0);
  const std::uint64_t index = seq % limits_.window;
  epoch.bits[index / kBitsPerWord] |= std::uint64_t{1} << (index % kBitsPerWord);
  ++epoch.bits_set;
}

void ReplayFilter::clear_bit(Epoch& epoch, std::uint64_t seq) {
  if (!test_bit(epoch, seq)) return;
  const std::uint64_t index = seq % limits_.window;
  epoch.bits[index / kBitsPerWord] &= ~(std::uint64_t{1} << (index % kBitsPerWord));
  --epoch.bits_set;
}

// Moves the bitmap to cover (new_base, new_base + window]. What it leaves behind is forgotten:
// the seqs between the contiguous mark and new_base become unknown (delivered if they come).
void ReplayFilter::slide_to(Epoch& epoch, std::uint64_t new_base) {
  if (new_base - epoch.window_base >= limits_.window) {
    std::fill(epoch.bits.begin(), epoch.bits.end(), 0);
    epoch.bits_set = 0;
  } else {
    for (std::uint64_t seq = epoch.window_base + 1; seq <= new_base; ++seq) clear_bit(epoch, seq);
  }
  epoch.window_base = new_base;
}

void ReplayFilter::advance_floor(Epoch& epoch) {
  while (epoch.window_base == epoch.floor && epoch.bits_set != 0 &&
         test_bit(epoch, epoch.floor + 1)) {
    clear_bit(epoch, epoch.floor + 1);
    ++epoch.floor;
    ++epoch.window_base;
  }
  if (epoch.bits_set == 0 && !epoch.bits.empty()) std::vector<std::uint64_t>().swap(epoch.bits);
}

std::vector<std::pair<std::string, std::string>> replay_sys_values(const ReplayFilter& filter) {
  return {
      {"messages/replay_duplicates", std::to_string(filter.stats().duplicates)},
      {"messages/replay_unchecked", std::to_string(filter.stats().unchecked)},
  };
}

bool drop_replayed_duplicate(ReplayFilter& filter, std::string_view principal,
                             std::string_view client_id, const protocol::Publish& publish) {
  const std::optional<ReplayStamp> stamp = replay_stamp(publish);
  if (!stamp) return false;
  if (filter.check(principal, *stamp) != ReplayVerdict::duplicate) return false;
  // debug: an edge replaying after a reconnect produces these in bursts; $SYS counts them.
  spdlog::debug("replayed duplicate dropped: client '{}' principal '{}' topic '{}' epoch '{}' "
                "seq {}",
                client_id, principal, publish.topic, stamp->epoch, stamp->seq);
  return true;
}

}  // namespace arkmq::core
