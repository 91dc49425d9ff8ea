// The core's LimitsProvider over the configuration database's flow-control limits: the quota
// settings and each user's roles from the current policy snapshot, resolved by acl::resolve_quota.
// Thread-safe: limits_for/generation from every worker; update/reload on the main thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acl/model.hpp"
#include "acl/quota.hpp"
#include "broker/core/client_limits.hpp"
#include "storage/config_store.hpp"

namespace arkmq::app {

class QuotaLimits final : public core::LimitsProvider {
 public:
  // Makes `data`'s quotas and user roles current; the generation moves only when either changed
  // (a reload after an unrelated change, e.g. a new ACL rule, does not make every client fetch).
  void update(const acl::PolicyData& data);
  // Loads the store and updates; the error message on failure (the old limits stay).
  std::string reload(const storage::ConfigStore& store);

  // user > roles (largest) > default > unlimited, per field; cached per principal until the
  // next change (the core asks for every queued message).
  core::ClientLimits limits_for(std::string_view principal) override;
  std::uint64_t generation() const override { return generation_.load(std::memory_order_acquire); }

 private:
  struct Snapshot {
    std::vector<acl::QuotaSetting> quotas;
    std::unordered_map<std::string, std::vector<std::string>> roles;  // by user name
    bool operator==(const Snapshot&) const = default;
  };

  std::mutex mutex_;  // guards snapshot_ and cache_
  Snapshot snapshot_;
  std::unordered_map<std::string, core::ClientLimits> cache_;
  std::atomic<std::uint64_t> generation_{1};
};

// acl's resolved limits as the core applies them (0 stays "none of the principal's own").
core::ClientLimits to_client_limits(const acl::EffectiveQuota& quota);

}  // namespace arkmq::app
