// The verified-login cache: HMAC-keyed entries, FIFO-bounded. Thread-safe through one mutex.
#include "acl/login_cache.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace arkmq::acl {

LoginCache::LoginCache(std::size_t capacity) : capacity_(capacity) {
  usable_ = RAND_bytes(hmac_key_.data(), static_cast<int>(hmac_key_.size())) == 1;
}

std::string LoginCache::key_for(std::string_view user, std::string_view password) const {
  if (!usable_) return {};
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  // HMAC(NULL data) is invalid in some OpenSSL builds; an empty password hashes a 1-byte buffer
  // of length 0 instead.
  static constexpr unsigned char kEmpty[1] = {0};
  const auto* data =
      password.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(password.data());
  if (HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()), data,
           password.size(), digest.data(), &digest_size) == nullptr) {
    return {};
  }
  std::string key;
  key.reserve(user.size() + 1 + digest_size);
  key += user;
  key += '\0';  // names hold no NUL, so "ab"+digest and "a"+"b..." cannot collide
  key.append(reinterpret_cast<const char*>(digest.data()), digest_size);
  OPENSSL_cleanse(digest.data(), digest.size());
  return key;
}

bool LoginCache::contains(std::string_view user, std::string_view password,
                          std::string_view stored_hash) const {
  if (stored_hash.empty()) return false;
  const std::string key = key_for(user, password);
  if (key.empty()) return false;
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  return it != entries_.end() && it->second == stored_hash;
}

void LoginCache::remember(std::string_view user, std::string_view password,
                          std::string_view stored_hash) {
  if (capacity_ == 0 || stored_hash.empty()) return;
  std::string key = key_for(user, password);
  if (key.empty()) return;
  const std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second = stored_hash;
    return;
  }
  while (entries_.size() >= capacity_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(key);
  entries_.emplace(std::move(key), std::string(stored_hash));
}

std::size_t LoginCache::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace arkmq::acl
