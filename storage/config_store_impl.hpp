// Internals shared by ConfigStore's files: config_store.cpp (open, reads), config_store_changes.cpp
// (users, roles), config_store_rules.cpp (rules, grants), config_store_quotas.cpp (quotas),
// config_store_sql.cpp (these helpers).
// Owned by the config-store engineer; not part of the storage API.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "storage/config_store.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite.hpp"

namespace arkmq::storage {

struct ConfigStore::Impl {
  explicit Impl(Database database) : db(std::move(database)) {}
  Database db;
  // PRAGMA data_version at the last changed_since_last_check(); empty before the first call.
  std::optional<std::int64_t> last_data_version;
  bool read_only = false;
};

namespace config_detail {

// The words stored in the subject and effect columns.
std::string_view subject_name(acl::Subject subject);
std::optional<acl::Subject> subject_from_name(std::string_view name);
std::string_view effect_name(acl::Effect effect);
std::optional<acl::Effect> effect_from_name(std::string_view name);

// An Error naming the database file: "<file>: <message>".
Error store_error(const Database& db, Error::Kind kind, std::string_view message);
tl::unexpected<Error> fail(const Database& db, Error::Kind kind, const std::string& message);
std::string in_quotes(std::string_view text);  // 'text', for names in messages

// invalid "invalid <what> name '<name>'" unless acl::is_valid_name(name).
Result<void> check_name(const Database& db, std::string_view what, std::string_view name);
// Sorted, without duplicates; invalid when one is not a valid name or not an existing role.
Result<std::vector<std::string>> existing_roles(Database& db,
                                                const std::vector<std::string>& roles);

// Run `sql` with text parameters ?1, ?2, ...; the select_ forms return each row's first column.
Result<void> execute(Database& db, std::string_view sql,
                     std::initializer_list<std::string_view> params);
Result<std::vector<std::string>> select_texts(Database& db, std::string_view sql,
                                              std::initializer_list<std::string_view> params);
Result<std::vector<std::int64_t>> select_ids(Database& db, std::string_view sql,
                                             std::initializer_list<std::string_view> params);
// Deletes row `id` of `table`; not_found "no <noun> <id>" when there is none.
Result<void> delete_by_id(Database& db, std::string_view table, std::string_view noun,
                          std::int64_t id);
// conflict "the same <noun> exists already (id N)" when `sql` (selecting ids) finds a row.
Result<void> refuse_duplicate(Database& db, std::string_view noun, std::string_view sql,
                              std::initializer_list<std::string_view> params);

// The schema's migration steps, oldest first (config_store.cpp); tests build old files with them.
std::span<const Migration> config_migrations();
// The quotas table into data.quotas: the default first, then roles, then users, each by name
// (config_store_quotas.cpp).
Result<void> load_quotas(Database& db, acl::PolicyData& data);

// Inserts the AdminChange row (time now, actor, command, details as compact JSON).
Result<void> record_change(Database& db, const ChangeContext& who, const nlohmann::json& details);

// Runs `body(details)` in one IMMEDIATE transaction, then records the change and commits. Any
// error rolls everything back, the AdminChange row included.
template <typename Body>
auto run_change(Database& db, bool read_only, const ChangeContext& who, Body&& body)
    -> std::invoke_result_t<Body&, nlohmann::json&> {
  if (read_only) return fail(db, Error::Kind::invalid, "opened read-only; changes need arkmqctl");
  if (who.command.empty()) return fail(db, Error::Kind::invalid, "a change needs a command name");
  auto tx = Transaction::begin(db, Transaction::Kind::immediate);
  if (!tx) return tl::unexpected(tx.error());
  nlohmann::json details = nlohmann::json::object();
  auto result = body(details);
  if (!result) return result;
  if (auto r = record_change(db, who, details); !r) return tl::unexpected(r.error());
  if (auto r = tx->commit(); !r) return tl::unexpected(r.error());
  return result;
}

}  // namespace config_detail
}  // namespace arkmq::storage
