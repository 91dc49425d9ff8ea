// The SQLite schema of <data_dir>/state.db (the broker's durable state), its migrations and the
// open-time checks that refuse a damaged, foreign or newer file. Owned by the durable-store
// engineer; functions take the caller's Database (one thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/sqlite.hpp"

namespace arkmq::storage::state_schema {

inline constexpr int kSchemaVersion = 1;
// PRAGMA application_id of a state database ("ARKS"): another SQLite file put in its place
// (arkmq.db, audit.db) is refused instead of being migrated into a state store.
inline constexpr std::int32_t kApplicationId = 0x41524b53;

// How a commit reaches the disk.
//  full:   the WAL is fsynced at every commit: a commit survives a process crash and a power
//          loss or OS crash.
//  normal: the WAL is written at every commit and fsynced at checkpoints only: a commit survives
//          a process crash (kill -9; the OS still holds the written pages) but the last commits
//          may be lost on a power loss or OS crash.
enum class Synchronous { full, normal };

// <data_dir>/state.db.
std::string state_db_path(std::string_view data_dir);

// Opens (creating 0600 when missing) and checks the file before anything is written to it: not
// an SQLite database or damaged (quick_check) -> Kind::corrupt; another application's database
// -> Kind::invalid; a newer schema -> Kind::newer_schema. Then WAL, the chosen synchronous mode,
// and the migrations. A refused file is left as it was.
Result<Database> open(const std::string& path, Synchronous synchronous);

}  // namespace arkmq::storage::state_schema
