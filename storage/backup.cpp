// Online backup with sqlite3_backup_* (see backup.hpp). Owner: ops-package.
#include "storage/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include "storage/sqlite.hpp"

namespace arkmq::storage {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxBusyRetries = 2000;  // x 5 ms: the source stays locked for 10 s at most
constexpr std::chrono::milliseconds kBusyPause{5};

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

// Removes the temporary copy (and any SQLite side file of it) unless the copy was kept.
class PartialFile {
 public:
  explicit PartialFile(std::string path) : path_(std::move(path)) { remove(); }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  ~PartialFile() {
    if (!kept_) remove();
  }
  const std::string& path() const { return path_; }
  void keep() { kept_ = true; }

 private:
  void remove() const {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      ::unlink((path_ + suffix).c_str());
    }
  }
  std::string path_;
  bool kept_ = false;
};

// Owns an sqlite3_backup; finish() reports how it ended.
class BackupHandle {
 public:
  explicit BackupHandle(sqlite3_backup* handle) : handle_(handle) {}
  BackupHandle(const BackupHandle&) = delete;
  BackupHandle& operator=(const BackupHandle&) = delete;
  ~BackupHandle() {
    if (handle_ != nullptr) sqlite3_backup_finish(handle_);
  }
  sqlite3_backup* get() const { return handle_; }
  int finish() { return sqlite3_backup_finish(std::exchange(handle_, nullptr)); }

 private:
  sqlite3_backup* handle_;
};

Result<void> sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    return tl::unexpected(make_error(Error::Kind::io, path, "cannot open to sync", errno_text(errno)));
  }
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) {
    return tl::unexpected(make_error(Error::Kind::io, path, "fsync failed", errno_text(error)));
  }
  return {};
}

// Runs the backup steps; the destination connection reports errors.
Result<BackupReport> copy_pages(Database& source, Database& copy, const BackupOptions& options) {
  BackupReport report;
  BackupHandle backup(sqlite3_backup_init(copy.handle(), "main", source.handle(), "main"));
  if (backup.get() == nullptr) {
    return tl::unexpected(copy.last_error("cannot start the backup"));
  }
  int previous_remaining = -1;
  int busy_retries = 0;
  const int chunk = options.pages_per_step > 0 ? options.pages_per_step : 1024;
  for (;;) {
    const bool finish_now = report.restarts >= options.max_restarts;
    const int rc = sqlite3_backup_step(backup.get(), finish_now ? -1 : chunk);
    ++report.steps;
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (++busy_retries > kMaxBusyRetries) {
        return tl::unexpected(make_error(Error::Kind::io, source.path(), "backup",
                                         "the database stayed locked"));
      }
      std::this_thread::sleep_for(kBusyPause);
      continue;
    }
    if (rc != SQLITE_OK) {
      const int code = backup.finish();
      return tl::unexpected(make_error(error_kind_from_sqlite(code != SQLITE_OK ? code : rc),
                                       source.path(), "backup", sqlite3_errstr(rc)));
    }
    // A write by another connection restarts the copy at page 1: no progress since last time.
    const int remaining = sqlite3_backup_remaining(backup.get());
    if (previous_remaining >= 0 && remaining >= previous_remaining) {
      ++report.restarts;
    }
    previous_remaining = remaining;
    if (options.on_step) {
      options.on_step(remaining, sqlite3_backup_pagecount(backup.get()));
    }
    if (options.pause.count() > 0) {
      std::this_thread::sleep_for(options.pause);
    }
  }
  if (backup.finish() != SQLITE_OK) {
    return tl::unexpected(copy.last_error("backup"));
  }
  return report;
}

// PRAGMA quick_check on the copy: "ok" or the first problem it reports.
Result<void> quick_check(Database& copy, const std::string& name) {
  auto statement = copy.prepare("PRAGMA quick_check");
  if (!statement) return tl::unexpected(statement.error());
  auto row = statement->step();
  if (!row) return tl::unexpected(row.error());
  const std::string verdict = *row ? statement->column_text(0) : std::string("no result");
  if (verdict != "ok") {
    return tl::unexpected(
        make_error(Error::Kind::corrupt, name, "the copy fails quick_check", verdict));
  }
  return {};
}

}  // namespace

Result<BackupReport> backup_database(const std::string& source, const std::string& destination,
                                     const BackupOptions& options) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) {
    const int error = errno;
    return tl::unexpected(make_error(error == ENOENT ? Error::Kind::not_found : Error::Kind::io,
                                     source, "cannot back up", errno_text(error)));
  }
  if (::lstat(destination.c_str(), &st) == 0) {
    return tl::unexpected(
        make_error(Error::Kind::conflict, destination, "cannot back up", "the file exists"));
  }

  OpenOptions read_only;
  read_only.access = OpenOptions::Access::read_only;
  read_only.foreign_keys = false;
  auto from = Database::open(source, read_only);
  if (!from) return tl::unexpected(from.error());

  PartialFile partial(destination + ".partial");
  Result<BackupReport> report;
  {
    OpenOptions create;  // made with mode 0600 before SQLite writes a byte
    create.wal = false;
    create.foreign_keys = false;
    auto copy = Database::open(partial.path(), create);
    if (!copy) return tl::unexpected(copy.error());
    report = copy_pages(*from, *copy, options);
    if (!report) return report;
    if (auto checked = quick_check(*copy, destination); !checked) {
      return tl::unexpected(checked.error());
    }
    auto pages = copy->query_int64("PRAGMA page_count");
    if (!pages) return tl::unexpected(pages.error());
    report->pages = *pages;
  }  // closed: every page is in the file
  ::chmod(partial.path().c_str(), 0600);
  if (auto synced = sync_path(partial.path(), O_RDONLY); !synced) {
    return tl::unexpected(synced.error());
  }
  if (::rename(partial.path().c_str(), destination.c_str()) != 0) {
    return tl::unexpected(
        make_error(Error::Kind::io, destination, "cannot rename the copy", errno_text(errno)));
  }
  partial.keep();
  const fs::path parent = fs::absolute(fs::path(destination)).parent_path();
  if (auto synced = sync_path(parent.string(), O_RDONLY | O_DIRECTORY); !synced) {
    return tl::unexpected(synced.error());
  }
  std::error_code size_error;
  report->bytes = static_cast<std::int64_t>(fs::file_size(destination, size_error));
  report->source = source;
  report->destination = destination;
  return report;
}

}  // namespace arkmq::storage
