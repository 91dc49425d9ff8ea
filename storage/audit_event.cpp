// Audit event names, hex hashes and the details JSON builder (see audit_event.hpp).
// Owned by the audit engineer.
#include "storage/audit_event.hpp"

#include <chrono>

namespace arkmq::storage {

std::string_view to_string(AuditType type) {
  switch (type) {
    case AuditType::connection_accepted: return "connection_accepted";
    case AuditType::tls_failure: return "tls_failure";
    case AuditType::auth_success: return "auth_success";
    case AuditType::auth_failure: return "auth_failure";
    case AuditType::disconnect: return "disconnect";
    case AuditType::subscribe: return "subscribe";
    case AuditType::unsubscribe: return "unsubscribe";
    case AuditType::publish: return "publish";
    case AuditType::acl_denial: return "acl_denial";
    case AuditType::quota_hit: return "quota_hit";
    case AuditType::service_call: return "service_call";
    case AuditType::admin_change: return "admin_change";
    case AuditType::journal_drop: return "journal_drop";
    case AuditType::retention: return "retention";
  }
  return "unknown";
}

std::string_view to_string(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::allow: return "allow";
    case AuditOutcome::deny: return "deny";
    case AuditOutcome::error: return "error";
  }
  return "unknown";
}

const std::vector<AuditType>& all_audit_types() {
  static const std::vector<AuditType> types = {
      AuditType::connection_accepted, AuditType::tls_failure,  AuditType::auth_success,
      AuditType::auth_failure,        AuditType::disconnect,   AuditType::subscribe,
      AuditType::unsubscribe,         AuditType::publish,      AuditType::acl_denial,
      AuditType::quota_hit,           AuditType::service_call, AuditType::admin_change,
      AuditType::journal_drop,        AuditType::retention,
  };
  return types;
}

std::optional<AuditType> audit_type_from_string(std::string_view text) {
  for (AuditType type : all_audit_types()) {
    if (to_string(type) == text) return type;
  }
  return std::nullopt;
}

std::optional<AuditOutcome> audit_outcome_from_string(std::string_view text) {
  for (AuditOutcome outcome : {AuditOutcome::allow, AuditOutcome::deny, AuditOutcome::error}) {
    if (to_string(outcome) == text) return outcome;
  }
  return std::nullopt;
}

bool is_security_event(AuditType type) {
  switch (type) {
    case AuditType::auth_success:
    case AuditType::auth_failure:
    case AuditType::acl_denial:
    case AuditType::quota_hit:
    case AuditType::admin_change:
    case AuditType::tls_failure:
      return true;
    case AuditType::connection_accepted:
    case AuditType::disconnect:
    case AuditType::subscribe:
    case AuditType::unsubscribe:
    case AuditType::publish:
    case AuditType::service_call:
    case AuditType::journal_drop:
    case AuditType::retention:
      return false;
  }
  return true;  // an out-of-range value is treated with the stricter policy
}

std::int64_t audit_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string to_hex(const AuditHash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(hash.size() * 2);
  for (std::uint8_t byte : hash) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0f]);
  }
  return out;
}

std::optional<AuditHash> audit_hash_from_hex(std::string_view hex) {
  AuditHash hash{};
  if (hex.size() != hash.size() * 2) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hash.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    hash[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return hash;
}

namespace {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        // Control characters (ESC included, so a terminal printing the row is not steered).
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out.push_back(kDigits[byte >> 4]);
          out.push_back(kDigits[byte & 0x0f]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

void AuditDetails::key(std::string_view name) {
  if (text_.size() > 1) text_.push_back(',');
  append_json_string(text_, name);
  text_.push_back(':');
}

AuditDetails& AuditDetails::add(std::string_view name, std::string_view value) {
  key(name);
  append_json_string(text_, value);
  return *this;
}

AuditDetails& AuditDetails::add(std::string_view name, std::int64_t value) {
  key(name);
  text_ += std::to_string(value);
  return *this;
}

AuditDetails& AuditDetails::add(std::string_view name, std::uint64_t value) {
  key(name);
  text_ += std::to_string(value);
  return *this;
}

AuditDetails& AuditDetails::add(std::string_view name, bool value) {
  key(name);
  text_ += value ? "true" : "false";
  return *this;
}

}  // namespace arkmq::storage
