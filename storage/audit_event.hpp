// One audit journal event as the broker submits it and the reader returns it; plain values.
// Owned by the audit engineer. Value types: any thread may build and copy them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arkmq::storage {

// Stored as the text of to_string() ("auth_failure"), so `sqlite3 audit.db` stays readable and
// arkmqctl's --type takes the same words. Append new types at the end; never rename one.
enum class AuditType {
  connection_accepted,
  tls_failure,
  auth_success,
  auth_failure,
  disconnect,
  subscribe,
  unsubscribe,
  publish,
  acl_denial,
  quota_hit,
  service_call,
  admin_change,
  journal_drop,  // written by the journal itself: how many events the full queue dropped
  retention,     // written by the journal itself: how many rows pruning removed, the new anchor
};

enum class AuditOutcome { allow, deny, error };

std::string_view to_string(AuditType type);
std::string_view to_string(AuditOutcome outcome);
std::optional<AuditType> audit_type_from_string(std::string_view text);
std::optional<AuditOutcome> audit_outcome_from_string(std::string_view text);
// Every AuditType, in declaration order (for CLI help and per-type statistics).
const std::vector<AuditType>& all_audit_types();

// Security events are never dropped by a full queue (see AuditJournalOptions::security_reserve):
// authentication, authorization denials, quota hits, admin changes, TLS failures.
bool is_security_event(AuditType type);

// UTC microseconds since the Unix epoch (std::chrono::system_clock).
std::int64_t audit_now_us();

// Empty strings mean "not applicable" (a tls_failure has no principal, a disconnect no topic).
// `details` is a JSON object as text, built with AuditDetails; keys per type are listed in
// docs/audit.md ("reason", "initiator", "qos", "size", "service", "latency_us", ...). It never
// holds a password or a password hash. Text fields are stored byte for byte as given, even when
// they are not valid UTF-8 (client ids come from the network).
struct AuditEvent {
  std::int64_t time_us = 0;
  AuditType type = AuditType::connection_accepted;
  AuditOutcome outcome = AuditOutcome::allow;
  std::string client_id;
  std::string principal;
  std::string peer;      // "127.0.0.1:50412"
  std::string listener;  // the listener's configured name
  std::string topic;     // publish/subscribe topic or filter; the service topic for service_call
  std::string details = "{}";
  // The PUBLISH payload, kept only when the journal's capture_payloads is on.
  std::optional<std::vector<std::byte>> payload;

  friend bool operator==(const AuditEvent&, const AuditEvent&) = default;
};

using AuditHash = std::array<std::uint8_t, 32>;  // SHA-256
std::string to_hex(const AuditHash& hash);
std::optional<AuditHash> audit_hash_from_hex(std::string_view hex);

// A row as stored: its position in the hash chain and its hash.
struct AuditRecord {
  std::int64_t seq = 0;
  AuditEvent event;
  AuditHash hash{};
};

// Builds the `details` JSON object: add() escapes keys and string values (quotes, backslashes,
// control characters including ESC as \u001b); bytes >= 0x80 are kept as given.
class AuditDetails {
 public:
  AuditDetails& add(std::string_view key, std::string_view value);
  AuditDetails& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  AuditDetails& add(std::string_view key, std::int64_t value);
  AuditDetails& add(std::string_view key, int value) {
    return add(key, static_cast<std::int64_t>(value));
  }
  AuditDetails& add(std::string_view key, std::uint64_t value);
  AuditDetails& add(std::string_view key, bool value);
  std::string str() const { return text_ + "}"; }

 private:
  void key(std::string_view name);
  std::string text_ = "{";
};

}  // namespace arkmq::storage
