// ConfigStore's flow-control limits: set (merge), unset, and loading them into PolicyData.
// Owned by the flow-control engineer. One row per (scope, name, field); see kSchemaV2.
#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "acl/quota.hpp"
#include "storage/config_store_impl.hpp"

namespace arkmq::storage {
namespace {

using config_detail::check_name;
using config_detail::existing_roles;
using config_detail::fail;
using config_detail::run_change;
using nlohmann::json;

// A scope's name: empty for the default, an existing role, or any valid user name.
Result<void> check_scope(Database& db, acl::QuotaScope scope, std::string_view name) {
  switch (scope) {
    case acl::QuotaScope::default_scope:
      if (!name.empty()) return fail(db, Error::Kind::invalid, "the default quota takes no name");
      return {};
    case acl::QuotaScope::role:
      if (auto ok = existing_roles(db, {std::string(name)}); !ok) {
        return tl::unexpected(ok.error());
      }
      return {};
    case acl::QuotaScope::user: return check_name(db, "user", name);
  }
  return fail(db, Error::Kind::invalid, "unknown quota scope");
}

// The stored fields of one setting; unknown field names (a newer build's) are skipped.
Result<acl::QuotaLimits> read_limits(Database& db, acl::QuotaScope scope, std::string_view name) {
  auto stmt = db.prepare("SELECT field, value FROM quotas WHERE scope = ?1 AND name = ?2");
  if (!stmt) return tl::unexpected(stmt.error());
  if (auto r = stmt->bind_text(1, acl::quota_scope_name(scope)); !r) return tl::unexpected(r.error());
  if (auto r = stmt->bind_text(2, name); !r) return tl::unexpected(r.error());
  acl::QuotaLimits limits;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return limits;
    if (auto field = acl::quota_field_from_key(stmt->column_text(0))) {
      limits[*field] = static_cast<std::uint64_t>(stmt->column_int64(1));
    }
  }
}

// {"msgs_per_s": 10, ...} of the set fields.
json limits_json(const acl::QuotaLimits& limits) {
  json out = json::object();
  for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
    if (const auto& value = limits[info.field]) out[std::string(info.key)] = *value;
  }
  return out;
}

json scope_json(acl::QuotaScope scope, std::string_view name) {
  return json{{"scope", acl::quota_scope_name(scope)}, {"name", name}};
}

Error bad_quota_row(const Database& db, const std::string& scope, const std::string& name,
                    std::string_view what) {
  return config_detail::store_error(
      db, Error::Kind::corrupt,
      "quotas row (" + scope + ", " + config_detail::in_quotes(name) + "): " + std::string(what));
}

}  // namespace

Result<void> config_detail::load_quotas(Database& db, acl::PolicyData& data) {
  auto stmt = db.prepare("SELECT scope, name, field, value FROM quotas");
  if (!stmt) return tl::unexpected(stmt.error());
  // Ordered by (scope enum, name): the default first, then roles, then users.
  std::map<std::pair<acl::QuotaScope, std::string>, acl::QuotaLimits> settings;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    const std::string scope_text = stmt->column_text(0);
    std::string name = stmt->column_text(1);
    const auto scope = acl::quota_scope_from_name(scope_text);
    if (!scope) return tl::unexpected(bad_quota_row(db, scope_text, name, "unknown scope"));
    const std::int64_t value = stmt->column_int64(3);
    if (value < 0) return tl::unexpected(bad_quota_row(db, scope_text, name, "negative value"));
    // A field this build does not know (written by a newer one) is not enforced here.
    const auto field = acl::quota_field_from_key(stmt->column_text(2));
    if (!field) continue;
    settings[{*scope, std::move(name)}][*field] = static_cast<std::uint64_t>(value);
  }
  for (auto& [key, limits] : settings) {
    data.quotas.push_back(acl::QuotaSetting{key.first, key.second, limits});
  }
  return {};
}

Result<acl::QuotaSetting> ConfigStore::set_quota(const acl::QuotaSetting& setting,
                                                 const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<acl::QuotaSetting> {
    if (auto ok = check_scope(db, setting.scope, setting.name); !ok) {
      return tl::unexpected(ok.error());
    }
    if (setting.limits.empty()) return fail(db, Error::Kind::invalid, "no limit to set");
    for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
      const auto& value = setting.limits[info.field];
      if (!value) continue;
      if (auto why = acl::check_quota_value(info.field, *value); !why.empty()) {
        return fail(db, Error::Kind::invalid, why);
      }
    }
    auto previous = read_limits(db, setting.scope, setting.name);
    if (!previous) return tl::unexpected(previous.error());
    const std::string_view scope = acl::quota_scope_name(setting.scope);
    acl::QuotaSetting merged{setting.scope, setting.name, *previous};
    json was = json::object();
    for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
      const auto& value = setting.limits[info.field];
      if (!value) continue;
      const auto& old = (*previous)[info.field];
      was[std::string(info.key)] = old ? json(*old) : json(nullptr);
      const std::string text = std::to_string(*value);
      if (auto r = config_detail::execute(
              db,
              "INSERT INTO quotas(scope, name, field, value) VALUES(?1, ?2, ?3, ?4) "
              "ON CONFLICT(scope, name, field) DO UPDATE SET value = excluded.value",
              {scope, setting.name, info.key, text});
          !r) {
        return tl::unexpected(r.error());
      }
      merged.limits[info.field] = value;
    }
    details = scope_json(setting.scope, setting.name);
    details["set"] = limits_json(setting.limits);
    details["previous"] = std::move(was);
    return merged;
  });
}

Result<acl::QuotaLimits> ConfigStore::unset_quota(acl::QuotaScope scope, std::string_view name,
                                                  const std::vector<acl::QuotaField>& fields,
                                                  const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<acl::QuotaLimits> {
    // Names only: a role removed since (its limits went with it) is simply "not set".
    if (scope == acl::QuotaScope::default_scope) {
      if (auto ok = check_scope(db, scope, name); !ok) return tl::unexpected(ok.error());
    } else if (auto ok = check_name(db, acl::quota_scope_name(scope), name); !ok) {
      return tl::unexpected(ok.error());
    }
    auto stored = read_limits(db, scope, name);
    if (!stored) return tl::unexpected(stored.error());
    acl::QuotaLimits removed;
    for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
      const bool wanted = fields.empty() || std::find(fields.begin(), fields.end(), info.field) !=
                                                fields.end();
      if (wanted) removed[info.field] = (*stored)[info.field];
    }
    const std::string label = acl::quota_setting_label(scope, name);
    if (removed.empty()) {
      return fail(db, Error::Kind::not_found, "no such limit set for " + label);
    }
    for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
      if (!removed[info.field]) continue;
      if (auto r = config_detail::execute(
              db, "DELETE FROM quotas WHERE scope = ?1 AND name = ?2 AND field = ?3",
              {acl::quota_scope_name(scope), name, info.key});
          !r) {
        return tl::unexpected(r.error());
      }
    }
    details = scope_json(scope, name);
    details["removed"] = limits_json(removed);
    return removed;
  });
}

}  // namespace arkmq::storage
