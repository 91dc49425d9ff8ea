// Online backup of one SQLite database with SQLite's backup API: the copy is made a few pages at
// a time, so the broker keeps writing meanwhile. Owner: ops-package. Any thread (own connections).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "storage/config_store.hpp"  // storage::Error, storage::Result

namespace arkmq::storage {

struct BackupOptions {
  // Pages copied per sqlite3_backup_step; between steps the source is unlocked for writers.
  int pages_per_step = 1024;
  // Pause between steps, so a busy writer is not starved on a slow disk.
  std::chrono::milliseconds pause{1};
  // SQLite starts over when another connection writes the source between two steps. After this
  // many restarts the rest is copied in one step: in WAL mode (every arkmq database) that step
  // holds only a read snapshot, and writers still proceed; in rollback mode it blocks them.
  int max_restarts = 8;
  // Called after every step with (pages left, pages in total); tests write the source here.
  std::function<void(int remaining, int total)> on_step;
};

struct BackupReport {
  std::string source;
  std::string destination;
  std::int64_t pages = 0;  // pages in the copy
  std::int64_t bytes = 0;  // size of the copy
  int steps = 0;
  int restarts = 0;
};

// Copies the database `source` (opened read-only: it must exist) to `destination`, which must not
// exist. The copy is written to a temporary file beside `destination` with mode 0600, checked
// with PRAGMA quick_check, synced, and renamed into place; on any failure nothing is left at
// `destination`. Errors: not_found (no source), conflict (destination exists), corrupt (source
// unreadable or the copy fails quick_check), io.
Result<BackupReport> backup_database(const std::string& source, const std::string& destination,
                                     const BackupOptions& options = {});

}  // namespace arkmq::storage
