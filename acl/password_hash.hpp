// Salted slow password hashes (PBKDF2-HMAC-SHA512 through OpenSSL) in a versioned text format,
// and their constant-time verification. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace arkmq::acl {

// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA512.
inline constexpr std::uint32_t kDefaultIterations = 210'000;
inline constexpr std::uint32_t kMinIterations = 10'000;  // verify refuses weaker stored hashes

// "$arkmq$pbkdf2-sha512$i=210000$<salt, 16 random bytes, base64>$<64-byte key, base64>"
// The first two fields version the format so a later scheme can be added beside it.
std::string hash_password(std::string_view password,
                          std::uint32_t iterations = kDefaultIterations);

// True only when `encoded` is well formed and was made from `password`. Compares in constant
// time. Malformed input is false, never a crash.
bool verify_password(std::string_view password, std::string_view encoded);

// Spends the same time as verifying against a real hash of the default strength, so that an
// unknown user name costs what a wrong password costs.
void burn_verify_time(std::string_view password);

// True when `encoded` is in an older format or weaker than the current default.
bool needs_rehash(std::string_view encoded);

}  // namespace arkmq::acl
