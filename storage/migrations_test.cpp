// Tests of schema migrations by user_version and of the open-time quick_check.
// Owned by the config-store engineer.
#include "storage/migrations.hpp"

#include <gtest/gtest.h>

#include <array>

namespace arkmq::storage {
namespace {

Database memory_db() {
  auto db = Database::open(":memory:");
  if (!db) throw std::runtime_error(db.error().message);
  return std::move(*db);
}

constexpr std::array kTwoSteps{
    Migration{1, "CREATE TABLE a(k INTEGER)"},
    Migration{2, "CREATE TABLE b(k INTEGER); INSERT INTO a VALUES(42)"},
};

TEST(Migrations, AppliesEveryStepInOrderAndSetsUserVersion) {
  Database db = memory_db();
  auto before = migrate(db, kTwoSteps);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(*before, 0);
  EXPECT_EQ(schema_version(db).value(), 2);
  EXPECT_EQ(db.query_int64("SELECT k FROM a").value(), 42);
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM b").value(), 0);
}

TEST(Migrations, AppliesOnlyTheStepsNewerThanTheFile) {
  Database db = memory_db();
  ASSERT_TRUE(migrate(db, std::span(kTwoSteps).first(1)));
  EXPECT_EQ(schema_version(db).value(), 1);
  auto before = migrate(db, kTwoSteps);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(*before, 1);
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM a").value(), 1);
  EXPECT_EQ(migrate(db, kTwoSteps).value(), 2);  // nothing left to do
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM a").value(), 1);
}

TEST(Migrations, RefusesADatabaseNewerThanTheCode) {
  Database db = memory_db();
  ASSERT_TRUE(db.exec("PRAGMA user_version=3"));
  auto result = migrate(db, kTwoSteps);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, Error::Kind::newer_schema);
  EXPECT_NE(result.error().message.find("version 3"), std::string::npos) << result.error().message;
  EXPECT_EQ(schema_version(db).value(), 3);
}

TEST(Migrations, AFailingStepLeavesTheDatabaseAsItWas) {
  Database db = memory_db();
  constexpr std::array broken{
      Migration{1, "CREATE TABLE a(k INTEGER)"},
      Migration{2, "CREATE TABLE b(k INTEGER); NOT SQL"},
  };
  auto result = migrate(db, broken);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("migration to version 2"), std::string::npos);
  EXPECT_EQ(schema_version(db).value(), 0);
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM sqlite_schema").value(), 0);
}

TEST(Migrations, RefusesStepsThatAreNotNumberedFromOne) {
  Database db = memory_db();
  constexpr std::array gap{Migration{1, "SELECT 1"}, Migration{3, "SELECT 1"}};
  auto result = migrate(db, gap);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, Error::Kind::invalid);
}

TEST(Migrations, RequireSchemaVersionTellsOlderFromNewer) {
  Database db = memory_db();
  EXPECT_TRUE(require_schema_version(db, 0, "hint"));
  auto older = require_schema_version(db, 1, "run arkmqctl to upgrade");
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().kind, Error::Kind::invalid);
  EXPECT_NE(older.error().message.find("run arkmqctl to upgrade"), std::string::npos);
  ASSERT_TRUE(db.exec("PRAGMA user_version=2"));
  auto newer = require_schema_version(db, 1, "hint");
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().kind, Error::Kind::newer_schema);
}

TEST(Migrations, QuickCheckPassesAHealthyDatabase) {
  Database db = memory_db();
  ASSERT_TRUE(migrate(db, kTwoSteps));
  EXPECT_TRUE(quick_check(db));
}

}  // namespace
}  // namespace arkmq::storage
