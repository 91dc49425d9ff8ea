// state.db schema and open-time checks (see state_schema.hpp).
// Owned by the durable-store engineer.
#include "storage/state_schema.hpp"

#include <sqlite3.h>

#include <array>

#include "storage/migrations.hpp"

namespace arkmq::storage::state_schema {
namespace {

// Never edit a released step; append one. No foreign keys: the writer applies changes in the
// order the broker reported them, and a constraint failing halfway through a batch would stall
// every acknowledgement behind it.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE sessions(
  client_id TEXT PRIMARY KEY,
  principal TEXT NOT NULL,
  expiry_interval INTEGER NOT NULL,
  expires_at_us INTEGER
);
CREATE TABLE subscriptions(
  client_id TEXT NOT NULL,
  share_group TEXT NOT NULL,
  filter TEXT NOT NULL,
  max_qos INTEGER NOT NULL,
  no_local INTEGER NOT NULL,
  retain_as_published INTEGER NOT NULL,
  retain_handling INTEGER NOT NULL,
  subscription_id INTEGER NOT NULL,
  PRIMARY KEY(client_id, share_group, filter)
);
CREATE TABLE bodies(
  id INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);
CREATE TABLE messages(
  client_id TEXT NOT NULL,
  id INTEGER NOT NULL,
  body_id INTEGER NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  subscription_ids TEXT NOT NULL,
  packet_id INTEGER NOT NULL,
  stage INTEGER NOT NULL,
  PRIMARY KEY(client_id, id)
);
CREATE INDEX messages_by_body ON messages(body_id);
CREATE TABLE inbound_qos2(
  client_id TEXT NOT NULL,
  packet_id INTEGER NOT NULL,
  PRIMARY KEY(client_id, packet_id)
);
CREATE TABLE retained(
  topic TEXT PRIMARY KEY,
  data BLOB NOT NULL
);
)sql";

constexpr std::array kMigrations{Migration{1, kVersion1}};

Error refused(Error::Kind kind, const std::string& path, const std::string& why) {
  return make_error(kind, path, "refusing the state database", why);
}

// A file with tables but not our application id is somebody else's database.
Result<void> check_identity(Database& db) {
  auto app_id = db.query_int64("PRAGMA application_id");
  if (!app_id) return tl::unexpected(app_id.error());
  if (*app_id == kApplicationId) return {};
  auto tables = db.query_int64("SELECT count(*) FROM sqlite_schema");
  if (!tables) return tl::unexpected(tables.error());
  if (*app_id == 0 && *tables == 0) return {};  // new, empty file
  return tl::unexpected(refused(Error::Kind::invalid, db.path(),
                                "not an arkmq state database (application_id " +
                                    std::to_string(*app_id) + ")"));
}

}  // namespace

std::string state_db_path(std::string_view data_dir) {
  std::string path(data_dir);
  if (!path.empty() && path.back() != '/') path += '/';
  return path + "state.db";
}

Result<Database> open(const std::string& path, Synchronous synchronous) {
  OpenOptions options;
  options.access = OpenOptions::Access::read_write_create;
  options.wal = false;  // switched on below, once the file has passed the checks
  options.foreign_keys = false;
  auto db = Database::open(path, options);
  if (!db) return tl::unexpected(db.error());
  // Closing the last connection normally checkpoints the WAL into the main file; a refused
  // file (or one that a stale -wal does not belong to) must be left exactly as it was.
  sqlite3_db_config(db->handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, static_cast<int*>(nullptr));

  if (auto checked = quick_check(*db); !checked) {
    // quick_check may list several damaged pages, one per line: the message stays one line.
    Error error = checked.error();
    for (char& c : error.message) {
      if (c == '\n') c = ';';
    }
    return tl::unexpected(std::move(error));
  }
  if (auto identity = check_identity(*db); !identity) return tl::unexpected(identity.error());
  auto version = schema_version(*db);
  if (!version) return tl::unexpected(version.error());
  if (*version > kSchemaVersion) {
    return tl::unexpected(refused(Error::Kind::newer_schema, path,
                                  "schema version " + std::to_string(*version) +
                                      " is newer than this build knows (" +
                                      std::to_string(kSchemaVersion) + "); upgrade arkmq"));
  }

  sqlite3_db_config(db->handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, static_cast<int*>(nullptr));
  if (path != ":memory:") {
    auto mode = db->prepare("PRAGMA journal_mode=WAL");
    if (!mode) return tl::unexpected(mode.error());
    if (auto row = mode->step(); !row) return tl::unexpected(row.error());
    if (mode->column_text(0) != "wal") {
      return tl::unexpected(make_error(Error::Kind::io, path, "cannot switch to WAL",
                                       "journal_mode is " + mode->column_text(0)));
    }
  }
  const char* sync =
      synchronous == Synchronous::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (auto r = db->exec(sync); !r) return tl::unexpected(r.error());

  if (auto migrated = migrate(*db, kMigrations); !migrated) {
    return tl::unexpected(migrated.error());
  }
  if (auto r = db->exec("PRAGMA application_id=" + std::to_string(kApplicationId)); !r) {
    return tl::unexpected(r.error());
  }
  return std::move(*db);
}

}  // namespace arkmq::storage::state_schema
