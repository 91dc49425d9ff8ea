// RAII wrapper over the SQLite C API (see sqlite.hpp).
// Owned by the config-store engineer.
#include "storage/sqlite.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace arkmq::storage {
namespace {

constexpr mode_t kFileMode = 0600;

bool is_memory_path(const std::string& path) { return path.empty() || path == ":memory:"; }

// Created before SQLite sees the path, so the file never exists with umask's wider mode.
Result<void> create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, kFileMode);
  if (fd < 0) {
    return tl::unexpected(make_error(Error::Kind::io, path, "cannot create",
                                     std::error_code(errno, std::generic_category()).message()));
  }
  ::close(fd);
  return {};
}

// SQLite gives -wal/-shm the main file's mode, but a file created by an older build or by hand
// may be wider; the WAL holds recent rows (password hashes), so tighten it. Best effort: a file
// owned by another user keeps its mode, and SQLite reports any real access problem.
void tighten_sidecar_files(const std::string& path) {
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string sidecar = path + suffix;
    struct stat st {};
    if (::stat(sidecar.c_str(), &st) == 0 && (st.st_mode & 0777) != kFileMode) {
      ::chmod(sidecar.c_str(), kFileMode);
    }
  }
}

std::string file_name_of(sqlite3* db) {
  const char* name = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  return name != nullptr && *name != '\0' ? std::string(name) : std::string(":memory:");
}

}  // namespace

Error::Kind error_kind_from_sqlite(int extended_rc) {
  switch (extended_rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return Error::Kind::corrupt;
    case SQLITE_CONSTRAINT:
      if (extended_rc == SQLITE_CONSTRAINT_UNIQUE || extended_rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Error::Kind::conflict;
      }
      return Error::Kind::invalid;
    default: return Error::Kind::io;
  }
}

Error make_error(Error::Kind kind, std::string_view file, std::string_view what,
                 std::string_view detail) {
  std::string message(file.empty() ? std::string_view(":memory:") : file);
  message += ": ";
  message += what;
  if (!detail.empty()) {
    message += ": ";
    message += detail;
  }
  return Error{kind, std::move(message)};
}

// ---- Database ----

Database::Database(sqlite3* db, std::string path, bool read_only)
    : db_(db), path_(std::move(path)), read_only_(read_only) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      read_only_(other.read_only_) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    read_only_ = other.read_only_;
  }
  return *this;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Result<Database> Database::open(const std::string& path, const OpenOptions& options) {
  const bool memory = is_memory_path(path);
  const bool read_only = options.access == OpenOptions::Access::read_only;
  int flags = 0;
  switch (options.access) {
    case OpenOptions::Access::read_write_create:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      if (!memory) {
        if (auto created = create_private_file(path); !created)
          return tl::unexpected(created.error());
      }
      break;
    case OpenOptions::Access::read_write: flags |= SQLITE_OPEN_READWRITE; break;
    case OpenOptions::Access::read_only: flags |= SQLITE_OPEN_READONLY; break;
  }

  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(memory ? ":memory:" : path.c_str(), &raw, flags, nullptr);
  // The handle exists even when opening failed; the wrapper closes it either way.
  Database db(raw, memory ? std::string(":memory:") : path, read_only);
  if (rc != SQLITE_OK) {
    const char* detail = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return tl::unexpected(make_error(error_kind_from_sqlite(rc), db.path_, "cannot open", detail));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));

  // Reading the schema is the first real access: it fails here for a non-database file.
  if (auto probe = db.query_int64("SELECT count(*) FROM sqlite_schema"); !probe) {
    Error failure = probe.error();
    if (failure.kind == Error::Kind::corrupt) {
      failure = make_error(Error::Kind::corrupt, db.path_, "not an SQLite database, or damaged",
                           sqlite3_errmsg(raw));
    }
    return tl::unexpected(std::move(failure));
  }
  if (options.foreign_keys) {
    if (auto r = db.exec("PRAGMA foreign_keys=ON"); !r) return tl::unexpected(r.error());
  }
  if (!read_only && !memory && options.wal) {
    // journal_mode answers with a row; a read-only or busy file may refuse, which is an error.
    auto stmt = db.prepare("PRAGMA journal_mode=WAL");
    if (!stmt) return tl::unexpected(stmt.error());
    if (auto row = stmt->step(); !row) return tl::unexpected(row.error());
    if (stmt->column_text(0) != "wal") {
      return tl::unexpected(make_error(Error::Kind::io, db.path_, "cannot switch to WAL",
                                       "journal_mode is " + stmt->column_text(0)));
    }
    if (auto r = db.exec("PRAGMA synchronous=NORMAL"); !r) return tl::unexpected(r.error());
  }
  if (!read_only && !memory) tighten_sidecar_files(path);
  return db;
}

Result<void> Database::exec(std::string_view sql) {
  // sqlite3_exec needs a NUL-terminated string.
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    Error error = make_error(error_kind_from_sqlite(sqlite3_extended_errcode(db_)), path_, "exec",
                             message != nullptr ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    return tl::unexpected(std::move(error));
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return tl::unexpected(last_error("prepare"));
  }
  if (stmt == nullptr) {  // only whitespace or comments
    return tl::unexpected(make_error(Error::Kind::invalid, path_, "prepare", "empty statement"));
  }
  return Statement(stmt);
}

Result<std::int64_t> Database::query_int64(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) {
    return tl::unexpected(make_error(Error::Kind::not_found, path_, sql, "no row"));
  }
  return stmt->column_int64(0);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

Error Database::last_error(std::string_view what) const {
  const int rc = sqlite3_extended_errcode(db_);
  return make_error(error_kind_from_sqlite(rc), path_, what, sqlite3_errmsg(db_));
}

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Error Statement::error(std::string_view what, int rc) const {
  sqlite3* db = sqlite3_db_handle(stmt_);
  // The connection's message matches rc for the call that just failed.
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return make_error(error_kind_from_sqlite(extended), file_name_of(db), what, detail);
}

Result<void> Statement::bind_int64(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) return tl::unexpected(error("bind", rc));
  return {};
}

Result<void> Statement::bind_text(int index, std::string_view value) {
  // A non-null pointer even for "" so the value binds as empty text, not NULL.
  const char* data = value.data() != nullptr ? value.data() : "";
  const int rc =
      sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) return tl::unexpected(error("bind", rc));
  return {};
}

Result<void> Statement::bind_blob(int index, std::span<const std::byte> value) {
  static constexpr std::byte kEmpty{};
  const void* data = value.empty() ? &kEmpty : static_cast<const void*>(value.data());
  const int rc = sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) return tl::unexpected(error("bind", rc));
  return {};
}

Result<void> Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) return tl::unexpected(error("bind", rc));
  return {};
}

Result<void> Statement::bind_optional_text(int index, const std::optional<std::string>& value) {
  return value ? bind_text(index, *value) : bind_null(index);
}

int Statement::parameter_index(const char* name) const {
  return sqlite3_bind_parameter_index(stmt_, name);
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error failure = error("step", rc);
  // Leaves the statement reusable; sqlite3_reset would repeat the same error code.
  sqlite3_reset(stmt_);
  return tl::unexpected(std::move(failure));
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
  }
}

void Statement::reset() { sqlite3_reset(stmt_); }

void Statement::clear_bindings() { sqlite3_clear_bindings(stmt_); }

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::vector<std::byte> Statement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  const auto* bytes = static_cast<const std::byte*>(data);
  return std::vector<std::byte>(bytes, bytes + size);
}

// ---- Transaction ----

Result<Transaction> Transaction::begin(Database& db, Kind kind) {
  if (auto r = db.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"); !r) {
    return tl::unexpected(r.error());
  }
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)rollback();
}

Result<void> Transaction::commit() {
  if (db_ == nullptr) {
    return tl::unexpected(Error{Error::Kind::invalid, "commit: transaction already finished"});
  }
  if (auto r = db_->exec("COMMIT"); !r) {
    // A failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open; the destructor rolls back.
    return r;
  }
  db_ = nullptr;
  return {};
}

Result<void> Transaction::rollback() {
  Database* db = std::exchange(db_, nullptr);
  if (db == nullptr) return {};
  // After some errors SQLite has already rolled back; there is nothing left to undo then.
  if (sqlite3_get_autocommit(db->handle()) != 0) return {};
  return db->exec("ROLLBACK");
}

}  // namespace arkmq::storage
