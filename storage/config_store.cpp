// ConfigStore: open + schema, consistent snapshots, change detection, the admin-change log.
// Owned by the config-store engineer. The changes themselves are in config_store_changes.cpp.
#include "storage/config_store.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <utility>

#include "storage/config_store_impl.hpp"
#include "storage/migrations.hpp"

namespace arkmq::storage {
namespace {

// Version 1. Names are checked by acl::is_valid_name before they get here; the CHECKs catch what
// a hand-edited file could get wrong. AUTOINCREMENT: ids are never reused, so "rule 7" in an old
// audit record or explanation cannot come to mean a different rule.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE users(
  name TEXT PRIMARY KEY NOT NULL CHECK(length(name) BETWEEN 1 AND 128),
  password_hash TEXT NOT NULL DEFAULT '',
  client_id_pattern TEXT NOT NULL DEFAULT ''
);
CREATE TABLE roles(
  name TEXT PRIMARY KEY NOT NULL CHECK(length(name) BETWEEN 1 AND 128)
);
CREATE TABLE user_roles(
  user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE ON UPDATE CASCADE,
  role TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE ON UPDATE CASCADE,
  PRIMARY KEY(user, role)
) WITHOUT ROWID;
CREATE INDEX user_roles_by_role ON user_roles(role);
CREATE TABLE rules(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subject TEXT NOT NULL CHECK(subject IN ('user', 'role', 'client', 'anyone', 'anonymous')),
  subject_value TEXT NOT NULL DEFAULT '',
  actions INTEGER NOT NULL CHECK(actions BETWEEN 1 AND 7),
  topic TEXT NOT NULL CHECK(length(topic) >= 1),
  effect TEXT NOT NULL CHECK(effect IN ('allow', 'deny')),
  priority INTEGER NOT NULL,
  CHECK((subject IN ('anyone', 'anonymous')) = (subject_value = '')),
  UNIQUE(subject, subject_value, actions, topic, effect, priority)
);
CREATE TABLE call_grants(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subject TEXT NOT NULL CHECK(subject IN ('user', 'role')),
  subject_value TEXT NOT NULL CHECK(length(subject_value) >= 1),
  service TEXT NOT NULL CHECK(length(service) >= 1),
  method TEXT NOT NULL DEFAULT '',
  UNIQUE(subject, subject_value, service, method)
);
CREATE TABLE serve_grants(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  node TEXT NOT NULL CHECK(length(node) >= 1),
  service TEXT NOT NULL CHECK(length(service) >= 1),
  UNIQUE(node, service)
);
CREATE TABLE admin_changes(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  command TEXT NOT NULL CHECK(length(command) >= 1),
  details TEXT NOT NULL CHECK(json_valid(details))
);
)sql";

// Version 2: flow-control limits, one row per (level, field) so `quota set` merges by upsert and
// a newer build can add fields without a migration. A role's limits go with the role (trigger:
// remove_role needs no change); a user's stay, as users may be certificate principals that are
// not stored at all. 0 means unlimited; config_store_quotas.cpp checks each field's range.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE quotas(
  scope TEXT NOT NULL CHECK(scope IN ('default', 'role', 'user')),
  name TEXT NOT NULL,
  field TEXT NOT NULL CHECK(length(field) >= 1),
  value INTEGER NOT NULL CHECK(value >= 0),
  CHECK((scope = 'default') = (name = '')),
  PRIMARY KEY(scope, name, field)
) WITHOUT ROWID;
CREATE TRIGGER quotas_of_removed_role AFTER DELETE ON roles BEGIN
  DELETE FROM quotas WHERE scope = 'role' AND name = OLD.name;
END;
)sql";

constexpr std::array kMigrations{Migration{1, kSchemaV1}, Migration{2, kSchemaV2}};
static_assert(kMigrations.size() == ConfigStore::kSchemaVersion,
              "add a migration step when kSchemaVersion grows");

std::string join_path(std::string_view dir, std::string_view file) {
  std::string path(dir);
  if (!path.empty() && path.back() != '/') path += '/';
  path += file;
  return path;
}

Result<void> load_users(Database& db, acl::PolicyData& out) {
  auto users = db.prepare("SELECT name, password_hash, client_id_pattern FROM users ORDER BY name");
  if (!users) return tl::unexpected(users.error());
  std::map<std::string, std::size_t, std::less<>> index;
  for (;;) {
    auto row = users->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    acl::UserRecord user;
    user.name = users->column_text(0);
    user.password_hash = users->column_text(1);
    user.client_id_pattern = users->column_text(2);
    index.emplace(user.name, out.users.size());
    out.users.push_back(std::move(user));
  }
  auto roles = db.prepare("SELECT user, role FROM user_roles ORDER BY user, role");
  if (!roles) return tl::unexpected(roles.error());
  for (;;) {
    auto row = roles->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    // The foreign key guarantees the user exists; find() keeps a hand-edited file harmless.
    if (auto it = index.find(roles->column_text(0)); it != index.end()) {
      out.users[it->second].roles.push_back(roles->column_text(1));
    }
  }
  return {};
}

Result<void> load_roles(Database& db, acl::PolicyData& out) {
  auto roles = db.prepare("SELECT name FROM roles ORDER BY name");
  if (!roles) return tl::unexpected(roles.error());
  for (;;) {
    auto row = roles->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
    out.roles.push_back(roles->column_text(0));
  }
}

Error bad_row(const Database& db, std::string_view table, std::int64_t id, std::string_view what) {
  return config_detail::store_error(
      db, Error::Kind::corrupt,
      std::string(table) + " row " + std::to_string(id) + ": " + std::string(what));
}

Result<void> load_rules(Database& db, acl::PolicyData& out) {
  auto rules = db.prepare(
      "SELECT id, subject, subject_value, actions, topic, effect, priority FROM rules ORDER BY id");
  if (!rules) return tl::unexpected(rules.error());
  for (;;) {
    auto row = rules->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
    acl::Rule rule;
    rule.id = rules->column_int64(0);
    auto subject = config_detail::subject_from_name(rules->column_text(1));
    auto effect = config_detail::effect_from_name(rules->column_text(5));
    if (!subject || !effect)
      return tl::unexpected(bad_row(db, "rules", rule.id, "unknown subject or effect"));
    rule.subject = *subject;
    rule.subject_value = rules->column_text(2);
    rule.actions = static_cast<acl::ActionSet>(rules->column_int64(3) & acl::kAllActions);
    rule.topic = rules->column_text(4);
    rule.effect = *effect;
    rule.priority = static_cast<std::int32_t>(rules->column_int64(6));
    out.rules.push_back(std::move(rule));
  }
}

Result<void> load_grants(Database& db, acl::PolicyData& out) {
  auto calls =
      db.prepare("SELECT id, subject, subject_value, service, method FROM call_grants ORDER BY id");
  if (!calls) return tl::unexpected(calls.error());
  for (;;) {
    auto row = calls->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    acl::CallGrant grant;
    grant.id = calls->column_int64(0);
    auto subject = config_detail::subject_from_name(calls->column_text(1));
    if (!subject) return tl::unexpected(bad_row(db, "call_grants", grant.id, "unknown subject"));
    grant.subject = *subject;
    grant.subject_value = calls->column_text(2);
    grant.service = calls->column_text(3);
    grant.method = calls->column_text(4);
    out.call_grants.push_back(std::move(grant));
  }
  auto serves = db.prepare("SELECT id, node, service FROM serve_grants ORDER BY id");
  if (!serves) return tl::unexpected(serves.error());
  for (;;) {
    auto row = serves->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
    acl::ServeGrant grant;
    grant.id = serves->column_int64(0);
    grant.node = serves->column_text(1);
    grant.service = serves->column_text(2);
    out.serve_grants.push_back(std::move(grant));
  }
}

}  // namespace

std::span<const Migration> config_detail::config_migrations() { return kMigrations; }

std::string config_db_path(std::string_view data_dir) { return join_path(data_dir, "arkmq.db"); }
std::string audit_db_path(std::string_view data_dir) { return join_path(data_dir, "audit.db"); }

ConfigStore::ConfigStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfigStore::ConfigStore(ConfigStore&&) noexcept = default;
ConfigStore& ConfigStore::operator=(ConfigStore&&) noexcept = default;
ConfigStore::~ConfigStore() = default;

Result<ConfigStore> ConfigStore::open(const std::string& path, Mode mode) {
  OpenOptions options;
  options.access = mode == Mode::read_only ? OpenOptions::Access::read_only
                                           : OpenOptions::Access::read_write_create;
  auto db = Database::open(path, options);
  if (!db) return tl::unexpected(db.error());
  if (auto ok = quick_check(*db); !ok) return tl::unexpected(ok.error());
  if (mode == Mode::read_only) {
    if (auto ok = require_schema_version(*db, kSchemaVersion, "run arkmqctl to upgrade"); !ok) {
      return tl::unexpected(ok.error());
    }
  } else if (auto migrated = migrate(*db, kMigrations); !migrated) {
    return tl::unexpected(migrated.error());
  }
  auto impl = std::make_unique<Impl>(std::move(*db));
  impl->read_only = mode == Mode::read_only;
  return ConfigStore(std::move(impl));
}

Result<acl::PolicyData> ConfigStore::load() const {
  Database& db = impl_->db;
  // One read transaction: a writer committing between the SELECTs cannot tear the snapshot.
  auto tx = Transaction::begin(db, Transaction::Kind::deferred);
  if (!tx) return tl::unexpected(tx.error());
  acl::PolicyData data;
  if (auto r = load_users(db, data); !r) return tl::unexpected(r.error());
  if (auto r = load_roles(db, data); !r) return tl::unexpected(r.error());
  if (auto r = load_rules(db, data); !r) return tl::unexpected(r.error());
  if (auto r = load_grants(db, data); !r) return tl::unexpected(r.error());
  if (auto r = config_detail::load_quotas(db, data); !r) return tl::unexpected(r.error());
  if (auto r = tx->commit(); !r) return tl::unexpected(r.error());
  return data;
}

// PRAGMA data_version changes when another connection commits (never for this connection's own
// commits, which the caller already knows about). The first call has nothing to compare with
// and answers true, so a caller that loads after a true answer never misses a change.
Result<bool> ConfigStore::changed_since_last_check() {
  auto version = impl_->db.query_int64("PRAGMA data_version");
  if (!version) return tl::unexpected(version.error());
  const bool changed = !impl_->last_data_version || *impl_->last_data_version != *version;
  impl_->last_data_version = *version;
  return changed;
}

Result<std::vector<AdminChange>> ConfigStore::admin_changes_since(std::int64_t after_id,
                                                                  std::size_t limit) const {
  auto stmt = impl_->db.prepare(
      "SELECT id, time_us, actor, command, details FROM admin_changes WHERE id > ?1 "
      "ORDER BY id LIMIT ?2");
  if (!stmt) return tl::unexpected(stmt.error());
  const auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  if (auto r = stmt->bind_int64(1, after_id); !r) return tl::unexpected(r.error());
  if (auto r = stmt->bind_int64(2, static_cast<std::int64_t>(std::min(limit, max))); !r) {
    return tl::unexpected(r.error());
  }
  std::vector<AdminChange> changes;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return changes;
    AdminChange change;
    change.id = stmt->column_int64(0);
    change.time_us = stmt->column_int64(1);
    change.actor = stmt->column_text(2);
    change.command = stmt->column_text(3);
    change.details = stmt->column_text(4);
    changes.push_back(std::move(change));
  }
}

}  // namespace arkmq::storage
