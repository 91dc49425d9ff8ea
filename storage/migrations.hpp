// Versioned schema migrations keyed by PRAGMA user_version, and the open-time integrity check.
// Owned by the config-store engineer; general enough for every arkmq database (config, audit).
#pragma once

#include <span>
#include <string_view>

#include "storage/sqlite.hpp"

namespace arkmq::storage {

// One step of a schema's history. Versions start at 1 and increase by one; a step's `sql` takes
// the schema from version-1 to version. Never edit a released step: append a new one.
struct Migration {
  int version = 0;
  std::string_view sql;
};

// PRAGMA user_version (0 for a new, empty database).
Result<int> schema_version(Database& db);

// PRAGMA quick_check. A damaged file gives Kind::corrupt naming the first problem SQLite found;
// the cost is one pass over the file, so call it once at open.
Result<void> quick_check(Database& db);

// Applies every step newer than the file's user_version, and sets user_version, in one
// IMMEDIATE transaction (two processes migrating at once: the second sees the first's result).
// Refuses a file newer than the last step with Kind::newer_schema, and steps that are not
// numbered 1, 2, 3... with Kind::invalid. Returns the version the file had before.
Result<int> migrate(Database& db, std::span<const Migration> migrations);

// For read-only opens, which must not migrate: ok when the file is exactly at `expected`;
// newer_schema when it is newer; invalid with `upgrade_hint` (e.g. "run arkmqctl to upgrade")
// when it is older.
Result<void> require_schema_version(Database& db, int expected, std::string_view upgrade_hint);

}  // namespace arkmq::storage
