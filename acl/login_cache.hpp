// Remembers recent successful password verifications so that a reconnect storm does not cost one
// PBKDF2 per client. Private to acl/ (shared by Authority snapshots). Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace arkmq::acl {

// An entry is keyed by (user name, HMAC-SHA256 of the password under a key drawn at start-up) and
// holds the stored hash the password verified against; it hits only while the user's stored hash
// is still that string, so a password change invalidates it without any bookkeeping. The password
// itself is never stored, and the HMAC key never leaves the process. Failed attempts are never
// remembered (a wrong password always pays the full cost).
class LoginCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 10'000;

  explicit LoginCache(std::size_t capacity = kDefaultCapacity);

  // True when `password` for `user` verified against exactly `stored_hash` before.
  bool contains(std::string_view user, std::string_view password,
                std::string_view stored_hash) const;

  // Records a successful verification; evicts the oldest entry when full.
  void remember(std::string_view user, std::string_view password, std::string_view stored_hash);

  std::size_t size() const;

 private:
  // "user\0" + 32 HMAC bytes; "" when HMAC fails, which callers treat as "do not cache".
  std::string key_for(std::string_view user, std::string_view password) const;

  std::size_t capacity_;
  std::array<unsigned char, 32> hmac_key_{};
  bool usable_ = false;  // false when the random source failed: the cache stays empty

  mutable std::mutex mutex_;  // guards entries_ and order_ only
  std::unordered_map<std::string, std::string> entries_;
  std::deque<std::string> order_;  // insertion order, for eviction
};

}  // namespace arkmq::acl
