// Sends the outbox to the cloud in sequence order: a window of unacknowledged QoS 1 messages,
// each stamped with `arkmq-seq`; after a reconnect everything unacknowledged is sent again from
// the oldest row, stamped `arkmq-replay: 1`. No Paho here: publishing is a callback.
// Thread-safe: pump() runs on the cloud link thread, acked()/refused() on Paho's callback thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include <tl/expected.hpp>

#include "edge-client/outbox.hpp"

namespace arkmq::edge {

inline constexpr const char* kSeqProperty = "arkmq-seq";
inline constexpr const char* kReplayProperty = "arkmq-replay";
inline constexpr const char* kEpochProperty = "arkmq-epoch";

class OutboxSender {
 public:
  // false: the message was not handed to the link (it is down); it stays queued.
  using Publish = std::function<bool(std::int64_t seq, const EdgeMessage& message)>;

  OutboxSender(Outbox& outbox, std::size_t window) : outbox_(outbox), window_(window) {}

  void link_up();    // the next pump starts again from the oldest row
  void link_down();  // nothing is in flight any more; unacknowledged rows will be replayed
  // Publishes rows not yet in flight, oldest first, until the window is full or the outbox is
  // empty. Returns how many were handed to `publish`.
  tl::expected<std::size_t, std::string> pump(const Publish& publish);
  void acked(std::int64_t seq);    // the cloud's PUBACK (success): the row is deleted
  void refused(std::int64_t seq);  // PUBACK with an error code: deleted too, and counted
  std::size_t in_flight() const;
  std::int64_t refused_count() const;

  // The message as sent: `arkmq-epoch`, `arkmq-seq`, and `arkmq-replay: 1` when it may have been
  // sent before.
  static EdgeMessage stamp(const OutboxEntry& entry, const std::string& epoch, bool replay);

 private:
  Outbox& outbox_;
  std::size_t window_;
  mutable std::mutex mutex_;
  std::int64_t last_handed_ = 0;   // highest seq handed to publish on this connection
  std::set<std::int64_t> in_flight_;
  std::set<std::int64_t> sent_;    // sent at least once by this process and not acknowledged
  std::int64_t refused_ = 0;
};

}  // namespace arkmq::edge
