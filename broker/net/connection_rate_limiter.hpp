// Connection-rate limiting per source address with temporary bans (EMQX's "flapping detection"):
// sans-I/O, time passed in. Owned by the Server; thread-safe (a short mutex; the accept loop
// calls it once per accepted socket, $SYS reads the counters from another thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace arkmq::net {

struct ConnectionRateSettings {
  // More than this many connection attempts from one address within `window` bans it; 0: off.
  std::size_t max_per_window = 100;
  std::chrono::seconds window{10};
  std::chrono::seconds ban{60};
  // Addresses remembered at once; past it the least recently seen one is forgotten (bounded
  // memory under a spoofed-source or IPv6 address flood, at the price of lifting its ban).
  std::size_t max_tracked_addresses = 10000;
};

class ConnectionRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Verdict {
    allow,        // serve the connection
    banned_now,   // this attempt crossed the limit: the ban starts (log it once), refuse
    banned,       // the address is banned: refuse (counted, not logged)
  };
  struct Decision {
    Verdict verdict = Verdict::allow;
    std::size_t attempts = 0;  // attempts counted in the current window, this one included
  };

  explicit ConnectionRateLimiter(ConnectionRateSettings settings);

  // One connection attempt from `address` (no port) at `now`.
  Decision on_attempt(std::string_view address, Clock::time_point now);

  const ConnectionRateSettings& settings() const { return settings_; }
  bool enabled() const { return settings_.max_per_window != 0; }

  // Statistics ($SYS): bans started, connections refused since start, bans in force at `now`.
  std::uint64_t bans_total() const { return bans_total_.load(std::memory_order_relaxed); }
  std::uint64_t refused_total() const { return refused_total_.load(std::memory_order_relaxed); }
  std::size_t banned_addresses(Clock::time_point now) const;
  std::size_t tracked_addresses() const;

  // "banning 127.0.0.1 for 60 s: 25 connections in 10 s"
  std::string ban_message(std::string_view address, const Decision& decision) const;

 private:
  // Attempts are counted in fixed windows; the sliding count weighs the previous window by the
  // part of it still inside the sliding one (O(1) memory per address, exact at window edges).
  struct Entry {
    Clock::time_point window_start;
    std::size_t current = 0;
    std::size_t previous = 0;
    Clock::time_point banned_until{};
    std::list<std::string>::iterator lru;
  };
  Entry& entry_for(std::string_view address, Clock::time_point now);
  void roll(Entry& entry, Clock::time_point now) const;  // starts a new fixed window when due
  std::size_t sliding_count(const Entry& entry, Clock::time_point now) const;

  const ConnectionRateSettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mutex_
  std::list<std::string> lru_;                      // most recently seen first; guarded
  std::atomic<std::uint64_t> bans_total_{0};
  std::atomic<std::uint64_t> refused_total_{0};
};

}  // namespace arkmq::net
