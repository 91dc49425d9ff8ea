// backup_database on real WAL files: the copy holds the rows and passes quick_check, a writer on
// another connection is not blocked between steps, and failures leave no file behind.
#include "storage/backup.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "storage/sqlite.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

// A WAL database with `rows` rows of ~1 KiB (about one 4 KiB page per 3 rows).
Database make_source(const std::string& path, int rows) {
  auto db = Database::open(path);
  EXPECT_TRUE(db) << db.error().message;
  EXPECT_TRUE(db->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)"));
  EXPECT_TRUE(db->exec("BEGIN"));
  for (int i = 0; i < rows; ++i) {
    EXPECT_TRUE(db->exec("INSERT INTO t(v) VALUES(randomblob(1000))"));
  }
  EXPECT_TRUE(db->exec("COMMIT"));
  return std::move(*db);
}

std::int64_t row_count(const std::string& path) {
  OpenOptions options;
  options.access = OpenOptions::Access::read_only;
  auto db = Database::open(path, options);
  if (!db) return -1;
  auto count = db->query_int64("SELECT count(*) FROM t");
  return count ? *count : -1;
}

TEST(Backup, CopiesEveryRowIntoAPrivateFileThatPassesQuickCheck) {
  test::TempDir dir;
  Database source = make_source(dir.file("arkmq.db"), 300);

  auto report = backup_database(dir.file("arkmq.db"), dir.file("copy.db"));

  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(row_count(dir.file("copy.db")), 300);
  EXPECT_EQ(test::file_mode(dir.file("copy.db")), 0600);
  EXPECT_GT(report->pages, 0);
  EXPECT_EQ(report->bytes, static_cast<std::int64_t>(test::file_size(dir.file("copy.db"))));
  EXPECT_FALSE(std::filesystem::exists(dir.file("copy.db.partial")));
}

TEST(Backup, LetsAnotherConnectionWriteBetweenStepsAndStillFinishes) {
  test::TempDir dir;
  Database source = make_source(dir.file("arkmq.db"), 300);
  auto writer = Database::open(dir.file("arkmq.db"));
  ASSERT_TRUE(writer);
  BackupOptions options;
  options.pages_per_step = 10;
  options.max_restarts = 100;
  int writes = 0;
  bool blocked = false;
  options.on_step = [&](int, int) {
    if (writes >= 5) return;
    // No busy wait allowed: a writer blocked by the backup fails at once.
    sqlite3_busy_timeout(writer->handle(), 0);
    blocked = blocked || !writer->exec("INSERT INTO t(v) VALUES(randomblob(1000))");
    ++writes;
  };

  auto report = backup_database(dir.file("arkmq.db"), dir.file("copy.db"), options);

  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(blocked);
  EXPECT_EQ(writes, 5);
  EXPECT_GT(report->steps, 3);
  EXPECT_GE(report->restarts, 1);  // the writes were seen, and the copy started over
  const std::int64_t copied = row_count(dir.file("copy.db"));
  EXPECT_GE(copied, 300);
  EXPECT_LE(copied, 305);  // a consistent snapshot: whole rows, never a torn page
}

TEST(Backup, FinishesInOneStepWhenAWriterKeepsRestartingIt) {
  test::TempDir dir;
  Database source = make_source(dir.file("arkmq.db"), 300);
  auto writer = Database::open(dir.file("arkmq.db"));
  ASSERT_TRUE(writer);
  BackupOptions options;
  options.pages_per_step = 10;
  options.max_restarts = 3;
  int writes = 0;
  options.on_step = [&](int, int) {  // a write after every step: chunks alone never finish
    if (writes < 1000 && writer->exec("INSERT INTO t(v) VALUES(randomblob(1000))")) ++writes;
  };

  auto report = backup_database(dir.file("arkmq.db"), dir.file("copy.db"), options);

  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->restarts, 3);
  EXPECT_LT(writes, 1000);
  EXPECT_EQ(row_count(dir.file("copy.db")), 300 + writes);
}

TEST(Backup, RefusesToOverwriteAnExistingFile) {
  test::TempDir dir;
  Database source = make_source(dir.file("arkmq.db"), 3);
  test::write_file(dir.file("copy.db"), "precious");

  auto report = backup_database(dir.file("arkmq.db"), dir.file("copy.db"));

  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, Error::Kind::conflict);
  EXPECT_EQ(test::read_file(dir.file("copy.db")), "precious");
}

TEST(Backup, ReportsAMissingSourceAsNotFound) {
  test::TempDir dir;
  auto report = backup_database(dir.file("missing.db"), dir.file("copy.db"));
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, Error::Kind::not_found);
  EXPECT_FALSE(std::filesystem::exists(dir.file("copy.db")));
}

TEST(Backup, ReportsAFileThatIsNotADatabaseAsCorruptAndLeavesNoCopy) {
  test::TempDir dir;
  test::write_file(dir.file("arkmq.db"), test::random_bytes(8192));

  auto report = backup_database(dir.file("arkmq.db"), dir.file("copy.db"));

  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, Error::Kind::corrupt);
  EXPECT_FALSE(std::filesystem::exists(dir.file("copy.db")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("copy.db.partial")));
}

}  // namespace
}  // namespace arkmq::storage
