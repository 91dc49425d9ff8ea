// A small RAII wrapper over the SQLite C API: Database, Statement, Transaction, errors as values.
// Owned by the config-store engineer; used by every store. One Database per thread, never shared.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/config_store.hpp"  // storage::Error, storage::Result

struct sqlite3;
struct sqlite3_stmt;

namespace arkmq::storage {

class Statement;

struct OpenOptions {
  enum class Access {
    read_write_create,  // create the file (mode 0600) when missing
    read_write,         // the file must exist
    read_only,          // SQLITE_OPEN_READONLY; no pragma that writes is issued
  };
  Access access = Access::read_write_create;
  // How long a statement waits for another connection's lock before failing with Kind::io.
  std::chrono::milliseconds busy_timeout{5000};
  // journal_mode=WAL + synchronous=NORMAL (read-write opens only): readers never block the writer.
  bool wal = true;
  bool foreign_keys = true;
};

// An open connection. Movable, not copyable; closes on destruction. Statements prepared from it
// must be destroyed first (sqlite3_close_v2 keeps the connection alive until they are).
class Database {
 public:
  // `path` may be ":memory:". For a file opened read-write, the file and its -wal/-shm are made
  // mode 0600. Opening is lazy in SQLite, so open() reads the schema once: a file that is not a
  // database fails here with Kind::corrupt. It does not run quick_check (see migrations.hpp).
  static Result<Database> open(const std::string& path, const OpenOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more ';'-separated statements that return no rows you need (DDL, pragmas).
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // The first column of the first row as an integer (e.g. "PRAGMA user_version"); not_found
  // when the query returns no row.
  Result<std::int64_t> query_int64(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  int changes() const;  // rows changed by the last INSERT/UPDATE/DELETE
  const std::string& path() const { return path_; }
  bool is_read_only() const { return read_only_; }

  // An Error for the connection's last failure: "<file>: <what>: <sqlite message>", with the
  // kind mapped from the result code (see error_from_sqlite). For wrappers that call the C API.
  Error last_error(std::string_view what) const;
  sqlite3* handle() const { return db_; }  // escape hatch for C API calls not wrapped here

 private:
  Database(sqlite3* db, std::string path, bool read_only);
  sqlite3* db_ = nullptr;
  std::string path_;
  bool read_only_ = false;
};

// A prepared statement. Parameters are 1-based (as in SQLite), columns 0-based. Text and blobs
// are copied at bind time (SQLITE_TRANSIENT), so the caller's buffers may go away afterwards.
// Typical use:  stmt.bind_text(1, name); while (*stmt.step()) { stmt.column_text(0); }
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Result<void> bind_int64(int index, std::int64_t value);
  Result<void> bind_text(int index, std::string_view value);
  Result<void> bind_blob(int index, std::span<const std::byte> value);
  Result<void> bind_null(int index);
  // Binds text, or NULL when the optional is empty.
  Result<void> bind_optional_text(int index, const std::optional<std::string>& value);
  int parameter_index(const char* name) const;  // ":name" -> index, 0 when unknown

  // true: a row is ready for the column getters; false: the statement has finished.
  Result<bool> step();
  // Steps to the end, ignoring rows: for INSERT/UPDATE/DELETE.
  Result<void> run();
  // Ready to step again with the same bindings (after step() finished or failed).
  void reset();
  void clear_bindings();

  int column_count() const;
  bool column_is_null(int column) const;
  std::int64_t column_int64(int column) const;
  std::string column_text(int column) const;  // "" for NULL
  std::vector<std::byte> column_blob(int column) const;

  sqlite3_stmt* handle() const { return stmt_; }

 private:
  friend class Database;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Error error(std::string_view what, int rc) const;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN ... COMMIT with rollback on every path that does not commit (early return, error).
// immediate takes the write lock up front, so a read-then-write transaction cannot fail with
// SQLITE_BUSY halfway (busy_timeout applies to BEGIN IMMEDIATE); use it for every change.
class Transaction {
 public:
  enum class Kind { deferred, immediate };
  static Result<Transaction> begin(Database& db, Kind kind = Kind::deferred);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();  // ROLLBACK unless commit() succeeded

  Result<void> commit();
  Result<void> rollback();  // explicit, e.g. to see its error; the destructor does it otherwise

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_ = nullptr;  // null once committed, rolled back or moved from
};

// Maps an SQLite result code to a Kind: NOTADB/CORRUPT -> corrupt, CONSTRAINT_UNIQUE /
// PRIMARYKEY -> conflict, other CONSTRAINT -> invalid, everything else -> io.
Error::Kind error_kind_from_sqlite(int extended_rc);
// "<file>: <what>: <message>" (file is ":memory:" for in-memory databases).
Error make_error(Error::Kind kind, std::string_view file, std::string_view what,
                 std::string_view detail);

}  // namespace arkmq::storage
