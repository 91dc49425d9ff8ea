// Sliding-window connection counting per address, bans, and the bounded address table.
#include "broker/net/connection_rate_limiter.hpp"

#include <algorithm>

namespace arkmq::net {

ConnectionRateLimiter::ConnectionRateLimiter(ConnectionRateSettings settings)
    : settings_([&] {
        settings.window = std::max(settings.window, std::chrono::seconds(1));
        settings.max_tracked_addresses = std::max<std::size_t>(settings.max_tracked_addresses, 1);
        return settings;
      }()) {}

ConnectionRateLimiter::Entry& ConnectionRateLimiter::entry_for(std::string_view address,
                                                               Clock::time_point now) {
  auto found = entries_.find(std::string(address));
  if (found != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second.lru);
    return found->second;
  }
  if (entries_.size() >= settings_.max_tracked_addresses) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.emplace_front(address);
  Entry& entry = entries_[lru_.front()];
  entry.window_start = now;
  entry.lru = lru_.begin();
  return entry;
}

void ConnectionRateLimiter::roll(Entry& entry, Clock::time_point now) const {
  const auto window = std::chrono::duration_cast<Clock::duration>(settings_.window);
  const auto elapsed = now - entry.window_start;
  if (elapsed >= 2 * window) {
    entry.previous = 0;
    entry.current = 0;
    entry.window_start = now;
  } else if (elapsed >= window) {
    entry.previous = entry.current;
    entry.current = 0;
    entry.window_start += window;
  }
}

std::size_t ConnectionRateLimiter::sliding_count(const Entry& entry, Clock::time_point now) const {
  const auto window = std::chrono::duration_cast<Clock::duration>(settings_.window);
  // The share of the previous window that the sliding window [now - window, now] still covers.
  const auto into_current = now - entry.window_start;
  const auto covered = window - into_current;
  const double weight = static_cast<double>(covered.count()) / static_cast<double>(window.count());
  return entry.current + static_cast<std::size_t>(static_cast<double>(entry.previous) * weight);
}

ConnectionRateLimiter::Decision ConnectionRateLimiter::on_attempt(std::string_view address,
                                                                  Clock::time_point now) {
  Decision decision;
  if (!enabled()) {
    return decision;
  }
  std::lock_guard lock(mutex_);
  Entry& entry = entry_for(address, now);
  if (now < entry.banned_until) {
    refused_total_.fetch_add(1, std::memory_order_relaxed);
    decision.verdict = Verdict::banned;
    return decision;
  }
  if (entry.banned_until != Clock::time_point{}) {
    // The ban has expired: the address starts afresh, so one reconnect is not a new ban.
    entry = Entry{now, 0, 0, {}, entry.lru};
  }
  roll(entry, now);
  ++entry.current;
  decision.attempts = sliding_count(entry, now);
  if (decision.attempts > settings_.max_per_window) {
    entry.banned_until = now + settings_.ban;
    bans_total_.fetch_add(1, std::memory_order_relaxed);
    refused_total_.fetch_add(1, std::memory_order_relaxed);
    decision.verdict = Verdict::banned_now;
  }
  return decision;
}

std::size_t ConnectionRateLimiter::banned_addresses(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(
      entries_.begin(), entries_.end(), [&](const auto& item) { return now < item.second.banned_until; }));
}

std::size_t ConnectionRateLimiter::tracked_addresses() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::string ConnectionRateLimiter::ban_message(std::string_view address,
                                               const Decision& decision) const {
  return "banning " + std::string(address) + " for " + std::to_string(settings_.ban.count()) +
         " s: " + std::to_string(decision.attempts) + " connections in " +
         std::to_string(settings_.window.count()) + " s";
}

}  // namespace arkmq::net
