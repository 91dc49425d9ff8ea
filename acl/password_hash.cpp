// PBKDF2-HMAC-SHA512 password hashes in the "$arkmq$pbkdf2-sha512$i=N$salt$key" format.
// Pure functions over OpenSSL's libcrypto, which is thread-safe in OpenSSL 3.
#include "acl/password_hash.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace arkmq::acl {
namespace {

constexpr std::string_view kPrefix = "$arkmq$pbkdf2-sha512$";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 64;
// Above this a stored hash would let one login pin a worker for seconds: refused as malformed.
constexpr std::uint32_t kMaxIterations = 10'000'000;

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const std::size_t left = size - i;
    std::uint32_t block = std::uint32_t{data[i]} << 16;
    if (left > 1) block |= std::uint32_t{data[i + 1]} << 8;
    if (left > 2) block |= std::uint32_t{data[i + 2]};
    out += kAlphabet[(block >> 18) & 0x3F];
    out += kAlphabet[(block >> 12) & 0x3F];
    out += left > 1 ? kAlphabet[(block >> 6) & 0x3F] : '=';
    out += left > 2 ? kAlphabet[block & 0x3F] : '=';
  }
  return out;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict: padded, standard alphabet, no whitespace, and the unused bits of the last group zero,
// so that every byte string has exactly one accepted encoding.
std::optional<std::vector<unsigned char>> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<unsigned char> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t block = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int value = 0;
      if (c == '=') {
        if (!last || j < 4 - padding) return std::nullopt;
      } else {
        value = base64_value(c);
        if (value < 0) return std::nullopt;
      }
      block = (block << 6) | static_cast<std::uint32_t>(value);
    }
    const std::size_t bytes = last ? 3 - padding : 3;
    if (last && padding == 1 && (block & 0xFF) != 0) return std::nullopt;
    if (last && padding == 2 && (block & 0xFFFF) != 0) return std::nullopt;
    for (std::size_t j = 0; j < bytes; ++j) {
      out.push_back(static_cast<unsigned char>((block >> (16 - 8 * j)) & 0xFF));
    }
  }
  return out;
}

// Digits only, no sign, no leading zero, within [kMinIterations, kMaxIterations].
std::optional<std::uint32_t> parse_iterations(std::string_view field) {
  if (field.size() < 3 || field.substr(0, 2) != "i=") return std::nullopt;
  const std::string_view digits = field.substr(2);
  if (digits.size() > 8 || digits.front() == '0') return std::nullopt;
  std::uint32_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value < kMinIterations || value > kMaxIterations) return std::nullopt;
  return value;
}

struct ParsedHash {
  std::uint32_t iterations = 0;
  std::vector<unsigned char> salt;
  std::vector<unsigned char> key;
};

std::optional<ParsedHash> parse(std::string_view encoded) {
  if (encoded.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view rest = encoded.substr(kPrefix.size());
  std::array<std::string_view, 3> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::size_t dollar = rest.find('$');
    const bool is_last = i + 1 == fields.size();
    if (is_last != (dollar == std::string_view::npos)) return std::nullopt;
    fields[i] = rest.substr(0, dollar);
    if (!is_last) rest.remove_prefix(dollar + 1);
  }
  ParsedHash parsed;
  const auto iterations = parse_iterations(fields[0]);
  auto salt = base64_decode(fields[1]);
  auto key = base64_decode(fields[2]);
  if (!iterations || !salt || !key) return std::nullopt;
  if (salt->size() != kSaltBytes || key->size() != kKeyBytes) return std::nullopt;
  parsed.iterations = *iterations;
  parsed.salt = std::move(*salt);
  parsed.key = std::move(*key);
  return parsed;
}

bool derive(std::string_view password, const unsigned char* salt, std::size_t salt_size,
            std::uint32_t iterations, unsigned char* key) {
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt,
                           static_cast<int>(salt_size), static_cast<int>(iterations), EVP_sha512(),
                           static_cast<int>(kKeyBytes), key) == 1;
}

}  // namespace

// Iterations outside [kMinIterations, kMaxIterations] are clamped, so that every hash made here
// verifies. Returns "" only if the system's random source fails: an empty stored hash means
// "no password login", which fails closed.
std::string hash_password(std::string_view password, std::uint32_t iterations) {
  if (iterations < kMinIterations) iterations = kMinIterations;
  if (iterations > kMaxIterations) iterations = kMaxIterations;
  std::array<unsigned char, kSaltBytes> salt{};
  std::array<unsigned char, kKeyBytes> key{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return {};
  if (!derive(password, salt.data(), salt.size(), iterations, key.data())) return {};
  std::string out(kPrefix);
  out += "i=";
  out += std::to_string(iterations);
  out += '$';
  out += base64_encode(salt.data(), salt.size());
  out += '$';
  out += base64_encode(key.data(), key.size());
  OPENSSL_cleanse(key.data(), key.size());
  return out;
}

bool verify_password(std::string_view password, std::string_view encoded) {
  const auto parsed = parse(encoded);
  if (!parsed) return false;
  std::array<unsigned char, kKeyBytes> key{};
  if (!derive(password, parsed->salt.data(), parsed->salt.size(), parsed->iterations, key.data())) {
    return false;
  }
  const bool equal = CRYPTO_memcmp(key.data(), parsed->key.data(), kKeyBytes) == 0;
  OPENSSL_cleanse(key.data(), key.size());
  return equal;
}

void burn_verify_time(std::string_view password) {
  // A fixed salt is fine: the result is thrown away; only the cost matters.
  static constexpr std::array<unsigned char, kSaltBytes> kDummySalt = {
      'a', 'r', 'k', 'm', 'q', '-', 'd', 'u', 'm', 'm', 'y', '-', 's', 'a', 'l', 't'};
  std::array<unsigned char, kKeyBytes> key{};
  std::array<unsigned char, kKeyBytes> other{};
  derive(password, kDummySalt.data(), kDummySalt.size(), kDefaultIterations, key.data());
  // The same final comparison a real verification makes; the result is not used.
  volatile int sink = CRYPTO_memcmp(key.data(), other.data(), kKeyBytes);
  static_cast<void>(sink);
  OPENSSL_cleanse(key.data(), key.size());
}

bool needs_rehash(std::string_view encoded) {
  const auto parsed = parse(encoded);
  return !parsed || parsed->iterations < kDefaultIterations;
}

}  // namespace arkmq::acl
