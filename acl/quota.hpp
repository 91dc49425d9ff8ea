// Flow-control limits as plain data (defaults, per role, per user) and the pure resolution of a
// principal's effective limits. Owned by the flow-control engineer; pure, any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace arkmq::acl {

// One settable limit. The order is the order of display (arkmqctl quota show, docs).
enum class QuotaField : std::uint8_t {
  msgs_per_s,          // publish rate, messages per second (token bucket)
  msgs_burst,          // that bucket's size; unset: one second's worth of the rate
  bytes_per_s,         // publish bandwidth, payload-carrying packet bytes per second
  bytes_burst,         // that bucket's size; unset: one second's worth of the rate
  max_inflight,        // QoS 1/2 messages in flight to the broker (the Receive Maximum announced)
  max_queued,          // messages queued for the session
  max_queued_bytes,    // bytes queued for the session
  max_subscriptions,   // per client
  max_connections,     // concurrent connections per principal
  max_packet_size,     // the Maximum Packet Size announced and enforced
  max_retained,        // retained messages per principal
  max_retained_bytes,  // retained bytes per principal
};
inline constexpr std::size_t kQuotaFieldCount = 12;

struct QuotaLimits;

// What a field is called and which values it takes.
struct QuotaFieldInfo {
  QuotaField field;
  std::string_view key;     // stored and JSON name: "msgs_per_s"
  std::string_view option;  // arkmqctl option without "--": "msgs-per-s"
  std::string_view help;
  bool is_burst;            // a bucket size: 0 is refused; unset means "one second of the rate"
  std::uint64_t max_value;  // larger values are refused
  std::optional<std::uint64_t> QuotaLimits::*member;
};

// Every field, in QuotaField order.
std::span<const QuotaFieldInfo> quota_fields();
const QuotaFieldInfo& quota_field_info(QuotaField field);
std::optional<QuotaField> quota_field_from_key(std::string_view key);

// Unset (nullopt): this level says nothing, a less specific one decides. 0 means "unlimited"
// explicitly (it overrides a less specific limit), except for the bursts, where 0 is refused.
struct QuotaLimits {
  std::optional<std::uint64_t> msgs_per_s;
  std::optional<std::uint64_t> msgs_burst;
  std::optional<std::uint64_t> bytes_per_s;
  std::optional<std::uint64_t> bytes_burst;
  std::optional<std::uint64_t> max_inflight;
  std::optional<std::uint64_t> max_queued;
  std::optional<std::uint64_t> max_queued_bytes;
  std::optional<std::uint64_t> max_subscriptions;
  std::optional<std::uint64_t> max_connections;
  std::optional<std::uint64_t> max_packet_size;
  std::optional<std::uint64_t> max_retained;
  std::optional<std::uint64_t> max_retained_bytes;

  std::optional<std::uint64_t>& operator[](QuotaField field) {
    return this->*quota_field_info(field).member;
  }
  const std::optional<std::uint64_t>& operator[](QuotaField field) const {
    return this->*quota_field_info(field).member;
  }
  bool empty() const;
  friend bool operator==(const QuotaLimits&, const QuotaLimits&) = default;
};

enum class QuotaScope : std::uint8_t { default_scope, role, user };
std::string_view quota_scope_name(QuotaScope scope);  // "default", "role", "user"
std::optional<QuotaScope> quota_scope_from_name(std::string_view name);

// The limits set at one level: the defaults (name empty), one role, or one user (a stored user
// or any principal name, e.g. a certificate identity).
struct QuotaSetting {
  QuotaScope scope = QuotaScope::default_scope;
  std::string name;
  QuotaLimits limits;
  friend bool operator==(const QuotaSetting&, const QuotaSetting&) = default;
};

// "default", "role sensors", "user alice".
std::string quota_setting_label(QuotaScope scope, std::string_view name);

// Empty when `value` is acceptable for `field`, else why not ("--burst must be at least 1").
std::string check_quota_value(QuotaField field, std::uint64_t value);

// One resolved limit. value 0 means unlimited (a burst of 0: the rate is unlimited too).
struct EffectiveLimit {
  std::uint64_t value = 0;
  std::string source;  // "user alice", "role sensors", "default", "built-in: unlimited", ...
  bool is_unlimited() const { return value == 0; }
};

struct EffectiveQuota {
  std::array<EffectiveLimit, kQuotaFieldCount> limits;
  const EffectiveLimit& operator[](QuotaField field) const {
    return limits[static_cast<std::size_t>(field)];
  }
  EffectiveLimit& operator[](QuotaField field) { return limits[static_cast<std::size_t>(field)]; }
};

// Per field, the most specific level that sets it wins: the user's setting, else the settings of
// the user's roles, else the default, else built-in (unlimited). When several of the user's roles
// set a field, the most permissive value wins (the largest; 0 = unlimited beats every number),
// as a role grants capacity and holding one more role should never take capacity away. A burst
// no level sets is one second's worth of the effective rate. `user` may be empty (anonymous or a
// role-only view); roles without a setting are ignored.
EffectiveQuota resolve_quota(const std::vector<QuotaSetting>& settings, std::string_view user,
                             const std::vector<std::string>& roles);

}  // namespace arkmq::acl
