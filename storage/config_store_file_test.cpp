// Tests of ConfigStore's file handling: mode 0600, reopen, two connections (change detection,
// concurrent writers), read-only opens, and refusing newer, garbage, truncated or damaged files.
// Owned by the config-store engineer.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "storage/config_store.hpp"
#include "storage/sqlite.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

const ChangeContext kWho{"alice-admin", "test change"};

class ConfigStoreFileTest : public ::testing::Test {
 protected:
  ConfigStore open(ConfigStore::Mode mode = ConfigStore::Mode::read_write) {
    auto store = ConfigStore::open(path_, mode);
    if (!store) throw std::runtime_error(store.error().message);
    return std::move(*store);
  }
  static std::size_t change_count(const ConfigStore& store) {
    return store.admin_changes_since(0, 1000).value().size();
  }
  // A closed database of many pages (users with long hashes), its WAL checkpointed away.
  void write_large_database() {
    {
      ConfigStore store = open();
      ASSERT_TRUE(store.add_role("r", kWho));
      for (int i = 0; i < 300; ++i) {
        ASSERT_TRUE(
            store.add_user({"user-" + std::to_string(i), std::string(200, 'h'), {"r"}, ""}, kWho));
      }
    }
    // Closing the last connection checkpoints the WAL into the main file and removes it.
    std::filesystem::remove(path_ + "-wal");
    std::filesystem::remove(path_ + "-shm");
  }

  test::TempDir dir_;
  std::string path_ = config_db_path(dir_.path());
};

TEST_F(ConfigStoreFileTest, CreatesAPrivateFileThatKeepsItsContentAcrossReopen) {
  {
    ConfigStore store = open();
    ASSERT_TRUE(store.add_role("ops", kWho));
  }
  EXPECT_EQ(test::file_mode(path_), 0600);
  for (const char* suffix : {"-wal", "-shm"}) {
    const int mode = test::file_mode(path_ + suffix);
    EXPECT_TRUE(mode == -1 || mode == 0600) << suffix << " has mode " << mode;
  }
  ConfigStore again = open();
  auto data = again.load();
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_EQ(data->roles, std::vector<std::string>{"ops"});
  auto db = Database::open(path_);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->query_int64("PRAGMA user_version").value(), ConfigStore::kSchemaVersion);
}

TEST_F(ConfigStoreFileTest, SecondConnectionNoticesAndLoadsTheFirstOnesChanges) {
  ConfigStore broker = open();
  ConfigStore ctl = open();
  EXPECT_TRUE(broker.changed_since_last_check().value());  // first call: nothing to compare
  EXPECT_FALSE(broker.changed_since_last_check().value());
  ASSERT_TRUE(ctl.add_role("ops", kWho));
  EXPECT_TRUE(broker.changed_since_last_check().value());
  EXPECT_FALSE(broker.changed_since_last_check().value());
  EXPECT_EQ(broker.load().value().roles, std::vector<std::string>{"ops"});
  // Its own changes are not reported: the caller made them and knows.
  ASSERT_TRUE(broker.add_role("dev", kWho));
  EXPECT_FALSE(broker.changed_since_last_check().value());
  EXPECT_EQ(ctl.load().value().roles, (std::vector<std::string>{"dev", "ops"}));
}

TEST_F(ConfigStoreFileTest, ReadOnlyStoreLoadsAndRefusesChanges) {
  {
    ConfigStore writer = open();
    ASSERT_TRUE(writer.add_role("ops", kWho));
  }
  ConfigStore reader = open(ConfigStore::Mode::read_only);
  EXPECT_EQ(reader.load().value().roles, std::vector<std::string>{"ops"});
  auto refused = reader.add_role("dev", kWho);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, Error::Kind::invalid);
  EXPECT_EQ(reader.load().value().roles, std::vector<std::string>{"ops"});
}

TEST_F(ConfigStoreFileTest, ReadOnlyOpenOfAnOlderSchemaAsksForArkmqctl) {
  {
    auto db = Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE placeholder(k)"));  // user_version stays 0
  }
  auto store = ConfigStore::open(path_, ConfigStore::Mode::read_only);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, Error::Kind::invalid);
  EXPECT_NE(store.error().message.find("run arkmqctl to upgrade"), std::string::npos)
      << store.error().message;
}

TEST_F(ConfigStoreFileTest, RefusesADatabaseWithANewerSchema) {
  { open(); }
  {
    auto db = Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("PRAGMA user_version=" + std::to_string(ConfigStore::kSchemaVersion + 1)));
  }
  for (auto mode : {ConfigStore::Mode::read_write, ConfigStore::Mode::read_only}) {
    auto store = ConfigStore::open(path_, mode);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, Error::Kind::newer_schema);
    EXPECT_NE(store.error().message.find(path_), std::string::npos) << store.error().message;
  }
}

TEST_F(ConfigStoreFileTest, RefusesAFileOfRandomBytesAsCorrupt) {
  test::write_file(path_, test::random_bytes(64 * 1024, 7));
  for (auto mode : {ConfigStore::Mode::read_write, ConfigStore::Mode::read_only}) {
    auto store = ConfigStore::open(path_, mode);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, Error::Kind::corrupt);
    EXPECT_NE(store.error().message.find(path_), std::string::npos) << store.error().message;
  }
}

TEST_F(ConfigStoreFileTest, RefusesATruncatedDatabaseWithAClearError) {
  // Many pages, so half the file cuts through tables and indexes.
  write_large_database();
  ASSERT_FALSE(HasFatalFailure());
  const auto size = test::file_size(path_);
  ASSERT_GT(size, 64u * 1024);
  std::filesystem::resize_file(path_, size / 2);

  for (auto mode : {ConfigStore::Mode::read_write, ConfigStore::Mode::read_only}) {
    auto store = ConfigStore::open(path_, mode);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, Error::Kind::corrupt) << store.error().message;
    EXPECT_NE(store.error().message.find(path_), std::string::npos) << store.error().message;
  }
  EXPECT_EQ(test::file_size(path_), size / 2);  // refusing did not rewrite the file
}

TEST_F(ConfigStoreFileTest, RefusesADatabaseWithADamagedPage) {
  write_large_database();
  ASSERT_FALSE(HasFatalFailure());
  // Overwrite pages in the middle; page 1 (the header and schema) stays intact, so only the
  // open-time quick_check can notice.
  std::string bytes = test::read_file(path_);
  const std::size_t page = 4096;
  ASSERT_GT(bytes.size(), 12 * page);
  bytes.replace(8 * page, 3 * page, test::random_bytes(3 * page, 99));
  test::write_file(path_, bytes);

  auto store = ConfigStore::open(path_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, Error::Kind::corrupt);
  EXPECT_NE(store.error().message.find("integrity check failed"), std::string::npos)
      << store.error().message;
}

TEST_F(ConfigStoreFileTest, TwoConnectionsWritingAtOnceBothSucceed) {
  // The broker and arkmqctl each hold a connection; busy_timeout makes the second writer wait.
  { open(); }
  constexpr int kEach = 40;
  auto writer = [this](const std::string& prefix, std::vector<std::string>& errors) {
    auto store = ConfigStore::open(path_);
    if (!store) {
      errors.push_back(store.error().message);
      return;
    }
    for (int i = 0; i < kEach; ++i) {
      if (auto r = store->add_role(prefix + std::to_string(i), kWho); !r) {
        errors.push_back(r.error().message);
      }
    }
  };
  std::vector<std::string> errors_a, errors_b;
  std::thread a(writer, "a", std::ref(errors_a));
  std::thread b(writer, "b", std::ref(errors_b));
  a.join();
  b.join();
  EXPECT_TRUE(errors_a.empty()) << errors_a.front();
  EXPECT_TRUE(errors_b.empty()) << errors_b.front();
  ConfigStore store = open();
  EXPECT_EQ(store.load().value().roles.size(), 2u * kEach);
  EXPECT_EQ(change_count(store), 2u * kEach);
}

}  // namespace
}  // namespace arkmq::storage
