// QuotaLimits: the policy snapshot's quotas -> core::ClientLimits, cached per principal.
#include "broker/app/quota_limits.hpp"

#include <algorithm>
#include <limits>

#include <spdlog/spdlog.h>

namespace arkmq::app {
namespace {

using acl::QuotaField;

// A cache entry per principal that asked; bounded so certificate identities cannot grow it
// without limit (it is rebuilt on demand).
constexpr std::size_t kCacheLimit = 65536;

template <typename T>
T narrow(std::uint64_t value) {
  return static_cast<T>(std::min<std::uint64_t>(value, std::numeric_limits<T>::max()));
}

}  // namespace

core::ClientLimits to_client_limits(const acl::EffectiveQuota& quota) {
  const auto value = [&](QuotaField field) { return quota[field].value; };
  core::ClientLimits limits;
  limits.publish.msgs_per_s = value(QuotaField::msgs_per_s);
  limits.publish.msgs_burst = value(QuotaField::msgs_burst);
  limits.publish.bytes_per_s = value(QuotaField::bytes_per_s);
  limits.publish.bytes_burst = value(QuotaField::bytes_burst);
  limits.receive_maximum = narrow<std::uint16_t>(value(QuotaField::max_inflight));
  limits.max_queued_messages = narrow<std::size_t>(value(QuotaField::max_queued));
  limits.max_queued_bytes = narrow<std::size_t>(value(QuotaField::max_queued_bytes));
  limits.max_subscriptions = narrow<std::size_t>(value(QuotaField::max_subscriptions));
  limits.max_connections = narrow<std::size_t>(value(QuotaField::max_connections));
  limits.max_packet_size = narrow<std::uint32_t>(value(QuotaField::max_packet_size));
  limits.max_retained = narrow<std::size_t>(value(QuotaField::max_retained));
  limits.max_retained_bytes = narrow<std::size_t>(value(QuotaField::max_retained_bytes));
  return limits;
}

void QuotaLimits::update(const acl::PolicyData& data) {
  Snapshot next;
  next.quotas = data.quotas;
  for (const acl::UserRecord& user : data.users) {
    if (!user.roles.empty()) next.roles.emplace(user.name, user.roles);
  }
  std::lock_guard lock(mutex_);
  if (next == snapshot_) return;
  snapshot_ = std::move(next);
  cache_.clear();
  // After the snapshot: a client that sees the new generation fetches the new limits.
  const std::uint64_t generation = generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
  spdlog::info("flow-control limits reloaded: generation {}, {} quota setting(s)", generation,
               snapshot_.quotas.size());
}

std::string QuotaLimits::reload(const storage::ConfigStore& store) {
  auto data = store.load();
  if (!data) {
    spdlog::warn("flow-control limits reload failed: {}", data.error().message);
    return data.error().message;
  }
  update(*data);
  return {};
}

core::ClientLimits QuotaLimits::limits_for(std::string_view principal) {
  std::lock_guard lock(mutex_);
  const std::string key(principal);
  if (auto found = cache_.find(key); found != cache_.end()) return found->second;
  static const std::vector<std::string> kNoRoles;
  const auto roles = snapshot_.roles.find(key);
  const core::ClientLimits limits = to_client_limits(acl::resolve_quota(
      snapshot_.quotas, principal, roles == snapshot_.roles.end() ? kNoRoles : roles->second));
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_.emplace(key, limits);
  return limits;
}

}  // namespace arkmq::app
