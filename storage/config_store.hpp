// The broker's configuration database (<data_dir>/arkmq.db): users, roles, topic rules, service
// grants, and the log of admin changes, with versioned schema migrations. One instance per
// thread (SQLite connections are not shared); the broker and arkmqctl each open their own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "acl/model.hpp"

namespace arkmq::storage {

struct Error {
  enum class Kind { io, corrupt, newer_schema, not_found, conflict, invalid };
  Kind kind = Kind::io;
  std::string message;  // one line, names the file and what was wrong
};

template <typename T>
using Result = tl::expected<T, Error>;

// <data_dir>/arkmq.db and <data_dir>/audit.db.
std::string config_db_path(std::string_view data_dir);
std::string audit_db_path(std::string_view data_dir);

// Who made a change and what it was; written in the same transaction as the change, so the
// audit journal (which reads these rows) sees every change exactly once.
struct AdminChange {
  std::int64_t id = 0;
  std::int64_t time_us = 0;  // UTC microseconds since the epoch
  std::string actor;         // OS user running arkmqctl (and $SUDO_USER when set)
  std::string command;       // "user add", "acl remove", ...
  std::string details;       // JSON object: what changed; never a password or a hash
};

struct ChangeContext {
  std::string actor;
  std::string command;
};

class ConfigStore {
 public:
  enum class Mode { read_write, read_only };
  // Creates the file (mode 0600, WAL) and migrates it when `mode` is read_write. Refuses a file
  // that is not SQLite, is corrupt, or has a newer schema than this build knows.
  static Result<ConfigStore> open(const std::string& path, Mode mode = Mode::read_write);
  ConfigStore(ConfigStore&&) noexcept;
  ConfigStore& operator=(ConfigStore&&) noexcept;
  ~ConfigStore();

  static constexpr int kSchemaVersion = 2;  // 2: quotas

  // One consistent snapshot (a single read transaction).
  Result<acl::PolicyData> load() const;
  // True when another connection committed since the last call (PRAGMA data_version); cheap.
  Result<bool> changed_since_last_check();

  // Changes. Each runs in one transaction with its AdminChange row. Errors: conflict (name exists),
  // not_found, invalid (bad name, unknown role, bad filter is the caller's check).
  Result<void> add_user(const acl::UserRecord& user, const ChangeContext& who);
  Result<void> remove_user(std::string_view name, const ChangeContext& who);
  Result<void> set_password_hash(std::string_view name, std::string_view hash, const ChangeContext& who);
  Result<void> set_user_roles(std::string_view name, const std::vector<std::string>& roles,
                              const ChangeContext& who);
  Result<void> add_role(std::string_view name, const ChangeContext& who);
  Result<void> remove_role(std::string_view name, const ChangeContext& who);  // also from users
  Result<std::int64_t> add_rule(const acl::Rule& rule, const ChangeContext& who);  // returns the id
  Result<void> remove_rule(std::int64_t id, const ChangeContext& who);
  Result<std::int64_t> add_call_grant(const acl::CallGrant& grant, const ChangeContext& who);
  Result<void> remove_call_grant(std::int64_t id, const ChangeContext& who);
  Result<std::int64_t> add_serve_grant(const acl::ServeGrant& grant, const ChangeContext& who);
  Result<void> remove_serve_grant(std::int64_t id, const ChangeContext& who);
  // Flow-control limits (config_store_quotas.cpp). set_quota merges: the fields set in
  // `setting.limits` replace stored ones, the others stay; returns the merged setting. A role
  // must exist; a user may be any valid name (a certificate principal need not be stored).
  // invalid: no field set, a value check_quota_value refuses, a default with a name.
  Result<acl::QuotaSetting> set_quota(const acl::QuotaSetting& setting, const ChangeContext& who);
  // Removes `fields` (empty: all) of one setting and returns the removed values; not_found when
  // none of them was set.
  Result<acl::QuotaLimits> unset_quota(acl::QuotaScope scope, std::string_view name,
                                       const std::vector<acl::QuotaField>& fields,
                                       const ChangeContext& who);

  // Admin changes with id > after_id, oldest first, at most `limit`.
  Result<std::vector<AdminChange>> admin_changes_since(std::int64_t after_id, std::size_t limit) const;

 private:
  struct Impl;
  explicit ConfigStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace arkmq::storage
