// Quota fields, their checks, and resolve_quota (user > roles (largest) > default > built-in).
// Owned by the flow-control engineer. Pure functions.
#include "acl/quota.hpp"

#include <algorithm>

namespace arkmq::acl {
namespace {

// The token buckets keep tokens in int64 nanotokens (broker/core/token_bucket.hpp); 4e9 tokens
// (4 GB/s, or 4 billion messages/s) is both far beyond one broker and safely representable.
constexpr std::uint64_t kMaxBucketValue = 4'000'000'000ULL;
// SQLite stores signed 64-bit integers.
constexpr std::uint64_t kMaxCount = 9'223'372'036'854'775'807ULL;
constexpr std::uint64_t kMaxReceiveMaximum = 65535;        // two-byte property [MQTT-3.2.2.3.3]
constexpr std::uint64_t kMaxPacketSize = 268'435'460ULL;  // 256 MiB payload + 5-byte header

using F = QuotaField;
constexpr std::array<QuotaFieldInfo, kQuotaFieldCount> kFields{{
    {F::msgs_per_s, "msgs_per_s", "msgs-per-s", "Publish rate, messages per second", false,
     kMaxBucketValue, &QuotaLimits::msgs_per_s},
    {F::msgs_burst, "msgs_burst", "burst", "Messages a client may publish at once (bucket size)",
     true, kMaxBucketValue, &QuotaLimits::msgs_burst},
    {F::bytes_per_s, "bytes_per_s", "bytes-per-s", "Publish bandwidth, bytes per second", false,
     kMaxBucketValue, &QuotaLimits::bytes_per_s},
    {F::bytes_burst, "bytes_burst", "bytes-burst", "Bytes a client may publish at once", true,
     kMaxBucketValue, &QuotaLimits::bytes_burst},
    {F::max_inflight, "max_inflight", "max-inflight",
     "QoS 1/2 messages in flight (the Receive Maximum announced)", false, kMaxReceiveMaximum,
     &QuotaLimits::max_inflight},
    {F::max_queued, "max_queued", "max-queued", "Messages queued per session", false, kMaxCount,
     &QuotaLimits::max_queued},
    {F::max_queued_bytes, "max_queued_bytes", "max-queued-bytes", "Bytes queued per session",
     false, kMaxCount, &QuotaLimits::max_queued_bytes},
    {F::max_subscriptions, "max_subscriptions", "max-subscriptions", "Subscriptions per client",
     false, kMaxCount, &QuotaLimits::max_subscriptions},
    {F::max_connections, "max_connections", "max-connections",
     "Concurrent connections per principal", false, kMaxCount, &QuotaLimits::max_connections},
    {F::max_packet_size, "max_packet_size", "max-packet-size", "Maximum packet size in bytes",
     false, kMaxPacketSize, &QuotaLimits::max_packet_size},
    {F::max_retained, "max_retained", "max-retained", "Retained messages per principal", false,
     kMaxCount, &QuotaLimits::max_retained},
    {F::max_retained_bytes, "max_retained_bytes", "max-retained-bytes",
     "Retained bytes per principal", false, kMaxCount, &QuotaLimits::max_retained_bytes},
}};

constexpr bool fields_in_enum_order() {
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (static_cast<std::size_t>(kFields[i].field) != i) return false;
  }
  return true;
}
static_assert(fields_in_enum_order(), "kFields must list QuotaField values in order");

// Larger is more permissive; 0 (unlimited) beats every number.
bool more_permissive(std::uint64_t a, std::uint64_t b) {
  if (a == 0) return b != 0;
  if (b == 0) return false;
  return a > b;
}

// The rate a burst belongs to.
QuotaField rate_of(QuotaField burst) {
  return burst == QuotaField::msgs_burst ? QuotaField::msgs_per_s : QuotaField::bytes_per_s;
}

}  // namespace

std::span<const QuotaFieldInfo> quota_fields() { return kFields; }

const QuotaFieldInfo& quota_field_info(QuotaField field) {
  return kFields[static_cast<std::size_t>(field)];
}

std::optional<QuotaField> quota_field_from_key(std::string_view key) {
  for (const QuotaFieldInfo& info : kFields) {
    if (info.key == key) return info.field;
  }
  return std::nullopt;
}

bool QuotaLimits::empty() const {
  return std::none_of(kFields.begin(), kFields.end(),
                      [this](const QuotaFieldInfo& info) { return (this->*info.member).has_value(); });
}

std::string_view quota_scope_name(QuotaScope scope) {
  switch (scope) {
    case QuotaScope::default_scope: return "default";
    case QuotaScope::role: return "role";
    case QuotaScope::user: return "user";
  }
  return "?";
}

std::optional<QuotaScope> quota_scope_from_name(std::string_view name) {
  for (QuotaScope scope : {QuotaScope::default_scope, QuotaScope::role, QuotaScope::user}) {
    if (quota_scope_name(scope) == name) return scope;
  }
  return std::nullopt;
}

std::string quota_setting_label(QuotaScope scope, std::string_view name) {
  if (scope == QuotaScope::default_scope) return "default";
  return std::string(quota_scope_name(scope)) + " " + std::string(name);
}

std::string check_quota_value(QuotaField field, std::uint64_t value) {
  const QuotaFieldInfo& info = quota_field_info(field);
  const std::string option = "--" + std::string(info.option);
  if (info.is_burst && value == 0) {
    return option + " must be at least 1 (unset it to use one second of the rate)";
  }
  if (value > info.max_value) {
    return option + " must be at most " + std::to_string(info.max_value) +
           (info.is_burst ? "" : " (0 means unlimited)");
  }
  return {};
}

EffectiveQuota resolve_quota(const std::vector<QuotaSetting>& settings, std::string_view user,
                             const std::vector<std::string>& roles) {
  const QuotaSetting* user_setting = nullptr;
  const QuotaSetting* default_setting = nullptr;
  std::vector<const QuotaSetting*> role_settings;
  for (const QuotaSetting& setting : settings) {
    switch (setting.scope) {
      case QuotaScope::default_scope: default_setting = &setting; break;
      case QuotaScope::user:
        if (!user.empty() && setting.name == user) user_setting = &setting;
        break;
      case QuotaScope::role:
        if (std::find(roles.begin(), roles.end(), setting.name) != roles.end()) {
          role_settings.push_back(&setting);
        }
        break;
    }
  }
  // By name, so that among equal values the source named is always the same role.
  std::sort(role_settings.begin(), role_settings.end(),
            [](const QuotaSetting* a, const QuotaSetting* b) { return a->name < b->name; });

  EffectiveQuota out;
  for (const QuotaFieldInfo& info : kFields) {
    EffectiveLimit& limit = out[info.field];
    if (user_setting != nullptr && user_setting->limits[info.field]) {
      limit = {*user_setting->limits[info.field], quota_setting_label(QuotaScope::user, user)};
      continue;
    }
    const QuotaSetting* best = nullptr;
    for (const QuotaSetting* role : role_settings) {
      const auto& value = role->limits[info.field];
      if (value && (best == nullptr || more_permissive(*value, *best->limits[info.field]))) {
        best = role;
      }
    }
    if (best != nullptr) {
      limit = {*best->limits[info.field], quota_setting_label(QuotaScope::role, best->name)};
    } else if (default_setting != nullptr && default_setting->limits[info.field]) {
      limit = {*default_setting->limits[info.field], "default"};
    } else if (!info.is_burst) {
      limit = {0, "built-in: unlimited"};
    }
  }
  // Unset bursts last: they follow the rate resolved above.
  for (QuotaField burst : {QuotaField::msgs_burst, QuotaField::bytes_burst}) {
    EffectiveLimit& limit = out[burst];
    if (!limit.source.empty()) continue;
    limit = {out[rate_of(burst)].value,
             "built-in: one second of " + std::string(quota_field_info(rate_of(burst)).option)};
  }
  return out;
}

}  // namespace arkmq::acl
