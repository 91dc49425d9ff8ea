// Tests of the durable-state store on real files: round trips of every record, body sharing,
// ordering, group-commit callbacks, reopening, and refusal of damaged, foreign and newer files.
// Owned by the durable-store engineer.
#include "storage/state_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "storage/migrations.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

SharedStateBlob blob(std::string_view text) {
  StateBlob out;
  for (char c : text) out.push_back(static_cast<std::byte>(c));
  return std::make_shared<const StateBlob>(std::move(out));
}

std::string text(const SharedStateBlob& b) {
  std::string out;
  if (b) {
    for (std::byte c : *b) out.push_back(static_cast<char>(c));
  }
  return out;
}

StoredMessage message(std::string client, std::uint64_t id, std::uint64_t body_id,
                      SharedStateBlob body) {
  StoredMessage m;
  m.client_id = std::move(client);
  m.id = id;
  m.body_id = body_id;
  m.body = std::move(body);
  return m;
}

std::int64_t count_rows(const std::string& path, const std::string& table) {
  OpenOptions options;
  options.access = OpenOptions::Access::read_only;
  auto db = Database::open(path, options);
  EXPECT_TRUE(db) << db.error().message;
  auto n = db->query_int64("SELECT count(*) FROM " + table);
  EXPECT_TRUE(n) << n.error().message;
  return n ? *n : -1;
}

class StateStoreTest : public ::testing::Test {
 protected:
  StateStore open_store(StateStoreOptions options = {}) {
    auto store = StateStore::open(path_, std::move(options));
    if (!store) throw std::runtime_error(store.error().message);
    return std::move(*store);
  }
  StoredState reopen() {
    auto store = open_store();
    return store.take_loaded();
  }

  test::TempDir dir_;
  std::string path_ = dir_.file("state.db");
};

TEST_F(StateStoreTest, NewFileIsEmptyPrivateAndLoadsNothing) {
  auto store = open_store();
  const StoredState loaded = store.take_loaded();
  EXPECT_TRUE(loaded.sessions.empty());
  EXPECT_TRUE(loaded.messages.empty());
  EXPECT_TRUE(loaded.retained.empty());
  EXPECT_EQ(store.last_ticket(), 0U);
  EXPECT_EQ(test::file_mode(path_), 0600);
}

TEST_F(StateStoreTest, EveryRecordRoundTripsThroughAReopen) {
  {
    auto store = open_store();
    store.save_session({"c1", "alice", 3600, std::nullopt});
    store.save_session({"c2", "", 60, 1'764'000'000'000'000});
    StoredSubscription sub{"c1", "a/+/c", "", 2, true, true, 2, 7};
    store.save_subscription(sub);
    store.save_subscription({"c1", "x/#", "grp", 1, false, false, 0, 0});
    StoredMessage m = message("c1", 10, 1, blob("body-one"));
    m.qos = 2;
    m.retain = true;
    m.subscription_ids = {7, 9};
    m.packet_id = 42;
    m.stage = 2;
    store.save_message(m);
    store.add_inbound_qos2("c2", 5);
    store.save_retained({"r/t", blob("kept")});
    ASSERT_TRUE(store.flush());
  }
  const StoredState loaded = reopen();
  ASSERT_EQ(loaded.sessions.size(), 2U);
  EXPECT_EQ(loaded.sessions[0], (StoredSession{"c1", "alice", 3600, std::nullopt}));
  EXPECT_EQ(loaded.sessions[1], (StoredSession{"c2", "", 60, 1'764'000'000'000'000}));
  ASSERT_EQ(loaded.subscriptions.size(), 2U);
  EXPECT_EQ(loaded.subscriptions[0], (StoredSubscription{"c1", "a/+/c", "", 2, true, true, 2, 7}));
  EXPECT_EQ(loaded.subscriptions[1], (StoredSubscription{"c1", "x/#", "grp", 1, false, false, 0, 0}));
  ASSERT_EQ(loaded.messages.size(), 1U);
  const StoredMessage& m = loaded.messages[0];
  EXPECT_EQ(m.client_id, "c1");
  EXPECT_EQ(m.id, 10U);
  EXPECT_EQ(text(m.body), "body-one");
  EXPECT_EQ(m.qos, 2);
  EXPECT_TRUE(m.retain);
  EXPECT_EQ(m.subscription_ids, (std::vector<std::uint32_t>{7, 9}));
  EXPECT_EQ(m.packet_id, 42);
  EXPECT_EQ(m.stage, 2);
  EXPECT_EQ(loaded.max_body_id, 1U);
  EXPECT_EQ(loaded.max_message_id, 10U);
  ASSERT_EQ(loaded.inbound_qos2.size(), 1U);
  EXPECT_EQ(loaded.inbound_qos2[0], (std::pair<std::string, std::uint16_t>{"c2", 5}));
  ASSERT_EQ(loaded.retained.size(), 1U);
  EXPECT_EQ(loaded.retained[0].topic, "r/t");
  EXPECT_EQ(text(loaded.retained[0].body), "kept");
}

TEST_F(StateStoreTest, ChangesApplyInTicketOrderAndMessagesLoadInIdOrder) {
  {
    auto store = open_store();
    store.save_message(message("c", 30, 3, blob("three")));
    store.save_message(message("c", 10, 1, blob("one")));
    store.save_message(message("c", 20, 2, blob("two")));
    StoredMessage update = message("c", 20, 2, blob("two"));
    update.packet_id = 9;
    update.stage = 1;
    store.save_message(update);          // insert or update
    store.remove_message("c", 30);       // gone, and its body with it
    store.save_retained({"t", blob("old")});
    store.save_retained({"t", blob("new")});  // replaces
    store.save_retained({"u", blob("x")});
    store.remove_retained("u");
    store.add_inbound_qos2("c", 1);
    store.add_inbound_qos2("c", 2);
    store.remove_inbound_qos2("c", 1);
    store.save_subscription({"c", "f", "", 1, false, false, 0, 0});
    store.remove_subscription("c", "f", "");
    ASSERT_TRUE(store.flush());
  }
  const StoredState loaded = reopen();
  ASSERT_EQ(loaded.messages.size(), 2U);
  EXPECT_EQ(loaded.messages[0].id, 10U);
  EXPECT_EQ(loaded.messages[1].id, 20U);
  EXPECT_EQ(loaded.messages[1].packet_id, 9);
  EXPECT_EQ(loaded.messages[1].stage, 1);
  ASSERT_EQ(loaded.retained.size(), 1U);
  EXPECT_EQ(text(loaded.retained[0].body), "new");
  ASSERT_EQ(loaded.inbound_qos2.size(), 1U);
  EXPECT_EQ(loaded.inbound_qos2[0].second, 2);
  EXPECT_TRUE(loaded.subscriptions.empty());
  EXPECT_EQ(count_rows(path_, "bodies"), 2);
}

TEST_F(StateStoreTest, ABodySharedByManySessionsIsStoredOnceAndDroppedWithItsLastOwner) {
  const SharedStateBlob shared = blob("fan-out payload");
  {
    auto store = open_store();
    for (int i = 0; i < 5; ++i) {
      store.save_session({"s" + std::to_string(i), "", 60, std::nullopt});
      store.save_message(message("s" + std::to_string(i), 100 + i, 7, shared));
    }
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(count_rows(path_, "bodies"), 1);
    store.remove_message("s0", 100);
    store.remove_session("s1");  // removes its message too
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(count_rows(path_, "bodies"), 1);
  }
  {
    StoredState loaded = reopen();
    ASSERT_EQ(loaded.messages.size(), 3U);
    EXPECT_EQ(loaded.messages[0].body.get(), loaded.messages[2].body.get());  // one copy
    EXPECT_EQ(text(loaded.messages[0].body), "fan-out payload");
  }
  {
    auto store = open_store();
    (void)store.take_loaded();
    store.remove_message("s2", 102);
    store.remove_message("s3", 103);
    store.remove_session("s4");
    // A body seen again after it was dropped is written again.
    store.save_message(message("s0", 200, 7, shared));
    ASSERT_TRUE(store.flush());
  }
  const StoredState loaded = reopen();
  ASSERT_EQ(loaded.messages.size(), 1U);
  EXPECT_EQ(text(loaded.messages[0].body), "fan-out payload");
  EXPECT_EQ(loaded.sessions.size(), 3U);  // s0, s2, s3
}

TEST_F(StateStoreTest, RemovingASessionRemovesEverythingItOwns) {
  {
    auto store = open_store();
    store.save_session({"gone", "", 60, std::nullopt});
    store.save_subscription({"gone", "a", "", 1, false, false, 0, 0});
    store.save_message(message("gone", 1, 1, blob("m")));
    store.add_inbound_qos2("gone", 3);
    store.save_session({"kept", "", 60, std::nullopt});
    store.save_subscription({"kept", "a", "", 1, false, false, 0, 0});
    store.remove_session("gone");
    ASSERT_TRUE(store.flush());
  }
  const StoredState loaded = reopen();
  ASSERT_EQ(loaded.sessions.size(), 1U);
  EXPECT_EQ(loaded.sessions[0].client_id, "kept");
  EXPECT_EQ(loaded.subscriptions.size(), 1U);
  EXPECT_TRUE(loaded.messages.empty());
  EXPECT_TRUE(loaded.inbound_qos2.empty());
  EXPECT_EQ(count_rows(path_, "bodies"), 0);
}

TEST_F(StateStoreTest, TicketsIncreaseAndCallbacksFireOnceTheirTicketIsCommitted) {
  auto store = open_store();
  const auto t1 = store.save_session({"c", "", 60, std::nullopt});
  const auto t2 = store.save_retained({"t", blob("x")});
  EXPECT_EQ(t1, 1U);
  EXPECT_EQ(t2, 2U);
  EXPECT_EQ(store.last_ticket(), 2U);

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<StateStore::Ticket> fired;
  for (auto t : {t2, t1}) {
    store.when_committed(t, [&, t] {
      // Every change up to the ticket is on disk when the callback runs.
      EXPECT_GE(store.committed_ticket(), t);
      std::lock_guard lock(mutex);
      fired.push_back(t);
      changed.notify_all();
    });
  }
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return fired.size() == 2; }));
  }
  // Already committed: runs at once on this thread.
  bool at_once = false;
  store.when_committed(t1, [&] { at_once = true; });
  EXPECT_TRUE(at_once);
}

TEST_F(StateStoreTest, GroupCommitTakesManyChangesPerTransaction) {
  auto store = open_store();
  constexpr int kChanges = 20000;
  std::atomic<int> acked{0};
  for (int i = 0; i < kChanges; ++i) {
    const auto t = store.save_message(message("c", static_cast<std::uint64_t>(i + 1),
                                              static_cast<std::uint64_t>(i + 1), blob("payload")));
    store.when_committed(t, [&] { acked.fetch_add(1); });
  }
  ASSERT_TRUE(store.flush());
  EXPECT_EQ(acked.load(), kChanges);
  const StateStoreStats stats = store.stats();
  EXPECT_EQ(stats.committed, static_cast<std::uint64_t>(kChanges));
  EXPECT_LT(stats.batches, static_cast<std::uint64_t>(kChanges) / 10);  // batched, not one each
  EXPECT_EQ(stats.write_errors, 0U);
}

TEST_F(StateStoreTest, ConcurrentSubmittersAllGetCommitted) {
  auto store = open_store();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 500; ++i) {
        const std::uint64_t id = static_cast<std::uint64_t>(t * 1000 + i + 1);
        store.save_message(message("c" + std::to_string(t), id, id, blob("p")));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(store.flush());
  store.close();
  EXPECT_EQ(reopen().messages.size(), 2000U);
}

TEST_F(StateStoreTest, CloseCommitsWhatIsQueuedAndLaterChangesAreIgnored) {
  {
    StateStoreOptions options;
    options.synchronous = state_schema::Synchronous::normal;
    auto store = open_store(options);
    for (int i = 1; i <= 100; ++i) {
      store.save_message(message("c", static_cast<std::uint64_t>(i), 1, blob("p")));
    }
    store.close();
    const auto before = store.last_ticket();
    EXPECT_EQ(store.save_retained({"t", blob("late")}), before);
  }
  const StoredState loaded = reopen();
  EXPECT_EQ(loaded.messages.size(), 100U);
  EXPECT_TRUE(loaded.retained.empty());
}

// ---- refusal: the file is never reset, and the message names it ----

class StateStoreRefusalTest : public StateStoreTest {
 protected:
  void fill() {
    auto store = open_store();
    for (int i = 1; i <= 400; ++i) {
      store.save_retained({"topic/" + std::to_string(i), blob(test::random_bytes(1000, i))});
    }
    store.save_session({"c", "", 60, std::nullopt});
    ASSERT_TRUE(store.flush());
  }
  void expect_refused(Error::Kind kind, const std::string& words) {
    const std::string before = test::read_file(path_);
    auto store = StateStore::open(path_);
    ASSERT_FALSE(store) << "a damaged file was accepted";
    EXPECT_EQ(store.error().kind, kind) << store.error().message;
    EXPECT_NE(store.error().message.find(path_), std::string::npos) << store.error().message;
    EXPECT_NE(store.error().message.find(words), std::string::npos) << store.error().message;
    EXPECT_EQ(test::read_file(path_), before) << "the refused file was modified";
  }
};

TEST_F(StateStoreRefusalTest, ATruncatedFileIsRefusedAndLeftUntouched) {
  fill();
  const auto size = test::file_size(path_);
  ASSERT_GT(size, 100000U);
  std::filesystem::resize_file(path_, size / 2);
  expect_refused(Error::Kind::corrupt, "");
}

TEST_F(StateStoreRefusalTest, AFileOfGarbageIsRefusedAsNotADatabase) {
  test::write_file(path_, test::random_bytes(8192));
  expect_refused(Error::Kind::corrupt, "not an SQLite database");
}

TEST_F(StateStoreRefusalTest, AFileWithDamagedPagesIsRefused) {
  fill();
  std::string bytes = test::read_file(path_);
  // Page 3 onward: b-tree pages of the tables; page 1 (the header and schema) stays intact.
  const std::string noise = test::random_bytes(4096 * 4, 99);
  bytes.replace(4096 * 2, noise.size(), noise);
  test::write_file(path_, bytes);
  expect_refused(Error::Kind::corrupt, "");
}

TEST_F(StateStoreRefusalTest, ANewerSchemaIsRefusedWithAnUpgradeHint) {
  fill();
  {
    OpenOptions options;
    options.wal = false;
    auto db = Database::open(path_, options);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("PRAGMA user_version=" + std::to_string(state_schema::kSchemaVersion + 1)));
  }
  expect_refused(Error::Kind::newer_schema, "upgrade arkmq");
}

TEST_F(StateStoreRefusalTest, AnotherApplicationsDatabaseIsRefused) {
  {
    OpenOptions options;
    options.wal = false;
    auto db = Database::open(path_, options);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE users(name TEXT)"));
  }
  expect_refused(Error::Kind::invalid, "not an arkmq state database");
}

}  // namespace
}  // namespace arkmq::storage
