// Ordered, windowed sending of the outbox with replay marking.
#include "edge-client/outbox_sender.hpp"

#include <spdlog/spdlog.h>

namespace arkmq::edge {

EdgeMessage OutboxSender::stamp(const OutboxEntry& entry, const std::string& epoch, bool replay) {
  EdgeMessage message = entry.message;
  message.set_user_property(kEpochProperty, epoch);
  message.set_user_property(kSeqProperty, std::to_string(entry.seq));
  if (replay) message.set_user_property(kReplayProperty, "1");
  return message;
}

void OutboxSender::link_up() {
  std::lock_guard lock(mutex_);
  last_handed_ = 0;
  in_flight_.clear();
}

void OutboxSender::link_down() {
  std::lock_guard lock(mutex_);
  last_handed_ = 0;
  in_flight_.clear();
}

tl::expected<std::size_t, std::string> OutboxSender::pump(const Publish& publish) {
  struct Item {
    std::int64_t seq;
    EdgeMessage message;
    bool first_send;
  };
  std::vector<Item> batch;
  std::int64_t handed_before = 0;
  {
    std::lock_guard lock(mutex_);
    if (in_flight_.size() >= window_) return 0;
    auto entries = outbox_.read_after(last_handed_, window_ - in_flight_.size());
    if (!entries) return tl::make_unexpected(entries.error());
    if (last_handed_ == 0) {
      // From the oldest row again: seqs below it were evicted (drop oldest) and never acked.
      if (entries->empty()) {
        sent_.clear();
      } else {
        sent_.erase(sent_.begin(), sent_.lower_bound(entries->front().seq));
      }
    }
    handed_before = last_handed_;
    for (const auto& entry : *entries) {
      const bool replay = entry.from_earlier_run || sent_.count(entry.seq) > 0;
      batch.push_back({entry.seq, stamp(entry, outbox_.epoch(), replay), sent_.insert(entry.seq).second});
      in_flight_.insert(entry.seq);
      last_handed_ = entry.seq;
    }
  }
  std::size_t handed = 0;
  for (const auto& item : batch) {
    if (!publish(item.seq, item.message)) break;
    ++handed;
  }
  if (handed < batch.size()) {
    // Not handed over (link down, or the client's buffer full): take the rest back, so the next
    // pump (or the replay after link_up) sends them again, in order.
    std::lock_guard lock(mutex_);
    if (last_handed_ == batch.back().seq) last_handed_ = handed == 0 ? handed_before : batch[handed - 1].seq;
    for (std::size_t i = handed; i < batch.size(); ++i) {
      in_flight_.erase(batch[i].seq);
      if (batch[i].first_send) sent_.erase(batch[i].seq);
    }
  }
  return handed;
}

void OutboxSender::acked(std::int64_t seq) {
  if (auto ok = outbox_.remove(seq); !ok) spdlog::error("outbox: {}", ok.error());
  std::lock_guard lock(mutex_);
  in_flight_.erase(seq);
  sent_.erase(seq);
}

void OutboxSender::refused(std::int64_t seq) {
  spdlog::warn("outbox: the cloud refused message {}; dropped", seq);
  if (auto ok = outbox_.remove(seq); !ok) spdlog::error("outbox: {}", ok.error());
  std::lock_guard lock(mutex_);
  in_flight_.erase(seq);
  sent_.erase(seq);
  ++refused_;
}

std::size_t OutboxSender::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_.size();
}

std::int64_t OutboxSender::refused_count() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

}  // namespace arkmq::edge
