// Schema migrations keyed by PRAGMA user_version, and quick_check (see migrations.hpp).
// Owned by the config-store engineer.
#include "storage/migrations.hpp"

#include <string>

namespace arkmq::storage {
namespace {

Error schema_error(Error::Kind kind, const Database& db, std::string what) {
  return make_error(kind, db.path(), "schema", what);
}

}  // namespace

Result<int> schema_version(Database& db) {
  auto version = db.query_int64("PRAGMA user_version");
  if (!version) return tl::unexpected(version.error());
  return static_cast<int>(*version);
}

Result<void> quick_check(Database& db) {
  auto stmt = db.prepare("PRAGMA quick_check");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  // One row "ok" when healthy; otherwise one row per problem (up to 100). The first is enough.
  if (*row && stmt->column_text(0) == "ok") return {};
  const std::string problem = *row ? stmt->column_text(0) : std::string("no result");
  return tl::unexpected(make_error(Error::Kind::corrupt, db.path(),
                                   "integrity check failed (restore from a backup)", problem));
}

Result<int> migrate(Database& db, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return tl::unexpected(
          schema_error(Error::Kind::invalid, db, "migration steps must be numbered 1, 2, 3..."));
    }
  }
  const int latest = static_cast<int>(migrations.size());

  auto tx = Transaction::begin(db, Transaction::Kind::immediate);
  if (!tx) return tl::unexpected(tx.error());
  auto before = schema_version(db);
  if (!before) return tl::unexpected(before.error());
  if (*before > latest) {
    return tl::unexpected(schema_error(Error::Kind::newer_schema, db,
                                       "version " + std::to_string(*before) +
                                           " is newer than this build knows (" +
                                           std::to_string(latest) + "); upgrade arkmq"));
  }
  if (*before == latest) return *before;  // the transaction rolls back: nothing was written

  for (const Migration& step : migrations.subspan(static_cast<std::size_t>(*before))) {
    if (auto r = db.exec(step.sql); !r) {
      Error failure = r.error();
      failure.message =
          "migration to version " + std::to_string(step.version) + " failed: " + failure.message;
      return tl::unexpected(std::move(failure));
    }
  }
  // PRAGMA takes no bound parameters; the value is our own integer.
  if (auto r = db.exec("PRAGMA user_version=" + std::to_string(latest)); !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = tx->commit(); !r) return tl::unexpected(r.error());
  return *before;
}

Result<void> require_schema_version(Database& db, int expected, std::string_view upgrade_hint) {
  auto version = schema_version(db);
  if (!version) return tl::unexpected(version.error());
  if (*version == expected) return {};
  const std::string versions =
      "version " + std::to_string(*version) + ", this build uses " + std::to_string(expected);
  if (*version > expected) {
    return tl::unexpected(
        schema_error(Error::Kind::newer_schema, db, versions + "; upgrade arkmq"));
  }
  return tl::unexpected(
      schema_error(Error::Kind::invalid, db, versions + "; " + std::string(upgrade_hint)));
}

}  // namespace arkmq::storage
