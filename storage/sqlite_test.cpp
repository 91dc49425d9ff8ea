// Tests of the SQLite wrapper: open (files, modes, WAL, bad files), statements, transactions.
// Owned by the config-store engineer.
#include "storage/sqlite.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <array>
#include <filesystem>

#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

using test::TempDir;

Database open_or_die(const std::string& path, const OpenOptions& options = {}) {
  auto db = Database::open(path, options);
  if (!db) throw std::runtime_error(db.error().message);
  return std::move(*db);
}

TEST(Database, RunsStatementsWithEveryBindingTypeInMemory) {
  Database db = open_or_die(":memory:");
  ASSERT_TRUE(db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, s TEXT, b BLOB, z)"));
  auto insert = db.prepare("INSERT INTO t(n, s, b, z) VALUES(?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert) << insert.error().message;
  const std::array<std::byte, 3> blob{std::byte{0}, std::byte{0xff}, std::byte{7}};
  ASSERT_TRUE(insert->bind_int64(1, -(std::int64_t{1} << 40)));
  ASSERT_TRUE(insert->bind_text(2, std::string_view("h\0i", 3)));
  ASSERT_TRUE(insert->bind_blob(3, blob));
  ASSERT_TRUE(insert->bind_null(4));
  ASSERT_TRUE(insert->run());
  EXPECT_EQ(db.last_insert_rowid(), 1);
  EXPECT_EQ(db.changes(), 1);

  auto select = db.prepare("SELECT n, s, b, z FROM t");
  ASSERT_TRUE(select);
  auto row = select->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->column_count(), 4);
  EXPECT_EQ(select->column_int64(0), -(std::int64_t{1} << 40));
  EXPECT_EQ(select->column_text(1), std::string("h\0i", 3));
  EXPECT_EQ(select->column_blob(2), std::vector<std::byte>(blob.begin(), blob.end()));
  EXPECT_TRUE(select->column_is_null(3));
  EXPECT_FALSE(select->column_is_null(0));
  row = select->step();
  ASSERT_TRUE(row);
  EXPECT_FALSE(*row);
}

TEST(Statement, CopiesBoundTextSoTheCallersBufferMayGoAway) {
  Database db = open_or_die(":memory:");
  ASSERT_TRUE(db.exec("CREATE TABLE t(s TEXT)"));
  auto insert = db.prepare("INSERT INTO t VALUES(?1)");
  ASSERT_TRUE(insert);
  {
    std::string temporary = "copied";
    ASSERT_TRUE(insert->bind_text(1, temporary));
    temporary.assign("XXXXXX");
  }
  ASSERT_TRUE(insert->run());
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM t WHERE s = 'copied'").value(), 1);
}

TEST(Statement, BindsEmptyTextAsTextNotNull) {
  Database db = open_or_die(":memory:");
  auto select = db.prepare("SELECT ?1 IS NULL, typeof(?1)");
  ASSERT_TRUE(select);
  ASSERT_TRUE(select->bind_text(1, std::string_view()));
  ASSERT_TRUE(select->step().value());
  EXPECT_EQ(select->column_int64(0), 0);
  EXPECT_EQ(select->column_text(1), "text");
}

TEST(Statement, ReportsAUniqueViolationAsConflictAndACheckViolationAsInvalid) {
  Database db = open_or_die(":memory:");
  ASSERT_TRUE(db.exec("CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER CHECK(v > 0))"));
  ASSERT_TRUE(db.exec("INSERT INTO t VALUES('a', 1)"));
  auto again = db.prepare("INSERT INTO t VALUES('a', 2)");
  ASSERT_TRUE(again);
  auto conflict = again->run();
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().kind, Error::Kind::conflict);
  EXPECT_NE(conflict.error().message.find("UNIQUE"), std::string::npos) << conflict.error().message;

  auto check = db.exec("INSERT INTO t VALUES('b', 0)");
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().kind, Error::Kind::invalid);
}

TEST(Statement, CanBeResetAndSteppedAgainAfterAFailure) {
  Database db = open_or_die(":memory:");
  ASSERT_TRUE(db.exec("CREATE TABLE t(k INTEGER PRIMARY KEY)"));
  auto insert = db.prepare("INSERT INTO t VALUES(?1)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->bind_int64(1, 1));
  ASSERT_TRUE(insert->run());
  insert->reset();
  EXPECT_FALSE(insert->run());  // duplicate key
  ASSERT_TRUE(insert->bind_int64(1, 2));
  EXPECT_TRUE(insert->run());
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM t").value(), 2);
}

TEST(Database, NamesTheFileAndSqlitesMessageInErrors) {
  TempDir dir;
  Database db = open_or_die(dir.file("x.db"));
  auto bad = db.prepare("SELEC 1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, Error::Kind::io);
  EXPECT_NE(bad.error().message.find(dir.file("x.db")), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos) << bad.error().message;
}

TEST(Database, QueryInt64WithoutARowIsNotFound) {
  Database db = open_or_die(":memory:");
  ASSERT_TRUE(db.exec("CREATE TABLE t(k INTEGER)"));
  auto none = db.query_int64("SELECT k FROM t");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, Error::Kind::not_found);
}

TEST(Database, CreatesAFileWithMode0600InWalMode) {
  TempDir dir;
  const std::string path = dir.file("new.db");
  // With the usual umask, a file SQLite created itself would be 0644.
  const mode_t previous = ::umask(022);
  auto opened = Database::open(path);
  ::umask(previous);
  ASSERT_TRUE(opened) << opened.error().message;
  Database db = std::move(*opened);
  EXPECT_EQ(test::file_mode(path), 0600);
  auto stmt = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(stmt && stmt->step().value());
  EXPECT_EQ(stmt->column_text(0), "wal");
  EXPECT_EQ(db.query_int64("PRAGMA synchronous").value(), 1);  // NORMAL
  EXPECT_EQ(db.query_int64("PRAGMA foreign_keys").value(), 1);
  EXPECT_EQ(db.query_int64("PRAGMA busy_timeout").value(), 5000);
  ASSERT_TRUE(db.exec("CREATE TABLE t(k); INSERT INTO t VALUES(1)"));
  EXPECT_EQ(test::file_mode(path + "-wal"), 0600);
  EXPECT_EQ(test::file_mode(path + "-shm"), 0600);
}

TEST(Database, TightensTheModeOfExistingWalAndShmFiles) {
  TempDir dir;
  const std::string path = dir.file("wide.db");
  Database first = open_or_die(path);
  ASSERT_TRUE(first.exec("CREATE TABLE t(k); INSERT INTO t VALUES(1)"));
  ASSERT_EQ(::chmod((path + "-wal").c_str(), 0644), 0);
  ASSERT_EQ(::chmod((path + "-shm").c_str(), 0644), 0);
  Database second = open_or_die(path);
  EXPECT_EQ(test::file_mode(path + "-wal"), 0600);
  EXPECT_EQ(test::file_mode(path + "-shm"), 0600);
}

TEST(Database, ReadOnlyOpenOfAMissingFileFailsWithoutCreatingIt) {
  TempDir dir;
  OpenOptions options;
  options.access = OpenOptions::Access::read_only;
  auto db = Database::open(dir.file("missing.db"), options);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, Error::Kind::io);
  EXPECT_NE(db.error().message.find("missing.db"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("missing.db")));
}

TEST(Database, ReadOnlyConnectionRefusesWrites) {
  TempDir dir;
  const std::string path = dir.file("ro.db");
  {
    Database writer = open_or_die(path);
    ASSERT_TRUE(writer.exec("CREATE TABLE t(k)"));
  }
  OpenOptions options;
  options.access = OpenOptions::Access::read_only;
  Database reader = open_or_die(path, options);
  EXPECT_TRUE(reader.is_read_only());
  EXPECT_EQ(reader.query_int64("SELECT count(*) FROM t").value(), 0);
  EXPECT_FALSE(reader.exec("INSERT INTO t VALUES(1)"));
}

TEST(Database, RefusesAFileOfRandomBytesAsCorruptAndLeavesItAlone) {
  TempDir dir;
  const std::string path = dir.file("garbage.db");
  const std::string garbage = test::random_bytes(8192);
  test::write_file(path, garbage);
  auto db = Database::open(path);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, Error::Kind::corrupt);
  EXPECT_NE(db.error().message.find(path), std::string::npos) << db.error().message;
  EXPECT_NE(db.error().message.find("not an SQLite database"), std::string::npos);
  EXPECT_EQ(test::read_file(path), garbage);
}

TEST(Transaction, RollsBackWhenNotCommitted) {
  Database db = open_or_die(":memory:");
  ASSERT_TRUE(db.exec("CREATE TABLE t(k)"));
  {
    auto tx = Transaction::begin(db, Transaction::Kind::immediate);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES(1)"));
  }
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM t").value(), 0);
  {
    auto tx = Transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES(1)"));
    ASSERT_TRUE(tx->commit());
    EXPECT_FALSE(tx->commit());  // already finished
  }
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM t").value(), 1);
  // The connection is back in autocommit mode: another transaction can begin.
  EXPECT_TRUE(Transaction::begin(db));
}

TEST(Transaction, ImmediateHoldsTheWriteLockAgainstASecondConnection) {
  TempDir dir;
  const std::string path = dir.file("lock.db");
  OpenOptions impatient;
  impatient.busy_timeout = std::chrono::milliseconds(0);
  Database a = open_or_die(path);
  Database b = open_or_die(path, impatient);
  ASSERT_TRUE(a.exec("CREATE TABLE t(k)"));
  auto held = Transaction::begin(a, Transaction::Kind::immediate);
  ASSERT_TRUE(held);
  auto refused = Transaction::begin(b, Transaction::Kind::immediate);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, Error::Kind::io);
  EXPECT_NE(refused.error().message.find("locked"), std::string::npos) << refused.error().message;
  // WAL: a reader is not blocked by the writer.
  EXPECT_EQ(b.query_int64("SELECT count(*) FROM t").value(), 0);
  ASSERT_TRUE(held->commit());
  EXPECT_TRUE(Transaction::begin(b, Transaction::Kind::immediate));
}

}  // namespace
}  // namespace arkmq::storage
