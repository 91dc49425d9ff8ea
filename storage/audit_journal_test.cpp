// Tests of the audit journal writer on real files: round trip of every field, file modes, the
// bounded queue's overflow policies, retention. Owned by the audit engineer.
#include "storage/audit_journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <functional>
#include <thread>

#include "storage/audit_reader.hpp"
#include "storage/audit_test_support.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

using test::sample_event;

// Polls `done` until it holds or 10 s pass; returns whether it held.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::vector<AuditRecord> read_all(const std::string& path) {
  auto reader = AuditReader::open(path);
  EXPECT_TRUE(reader) << reader.error().message;
  if (!reader) return {};
  AuditFilter all;
  all.limit = 0;
  auto rows = reader->query(all);
  EXPECT_TRUE(rows) << rows.error().message;
  return rows ? *rows : std::vector<AuditRecord>{};
}

std::vector<std::byte> bytes(std::string_view text) {
  std::vector<std::byte> out;
  for (char c : text) out.push_back(static_cast<std::byte>(c));
  return out;
}

class AuditJournalTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::string path_ = dir_.file("audit.db");
};

TEST_F(AuditJournalTest, RoundTripsEveryFieldIncludingSpecialCharactersAndPayload) {
  AuditEvent odd;
  odd.time_us = 1'764'000'000'123'456;
  odd.type = AuditType::auth_failure;
  odd.outcome = AuditOutcome::deny;
  odd.client_id = std::string("cl\x1b[2Jient\n\"quoted\"'x'\xff\xfe", 23);
  odd.principal = "o'brien; DROP TABLE events; --";
  odd.peer = "[::1]:50412";
  odd.listener = "tls\tmain";
  odd.topic = "plant/\xc3\x28/temp";  // invalid UTF-8, stored as given
  odd.details = AuditDetails().add("reason", "bad password\r\n\x1b[31m").str();
  odd.payload = bytes(std::string("\0\x01payload\xff", 11));

  AuditEvent empty_payload = sample_event(2);
  empty_payload.payload = std::vector<std::byte>{};  // present but empty, not absent
  AuditEvent no_payload = sample_event(3, AuditType::service_call);

  AuditJournalOptions options;
  options.capture_payloads = true;
  {
    auto journal = AuditJournal::open(path_, options);
    ASSERT_TRUE(journal) << journal.error().message;
    for (const AuditEvent& e : {odd, empty_payload, no_payload}) {
      ASSERT_EQ(journal->submit(e), AuditSubmit::queued);
    }
    ASSERT_TRUE(journal->flush());
    EXPECT_EQ(journal->stats().written, 3U);
    EXPECT_EQ(journal->head().last_seq, 3);
  }
  const auto rows = read_all(path_);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].seq, 1);
  EXPECT_EQ(rows[0].event, odd);
  EXPECT_EQ(rows[0].event.client_id.size(), 23U);
  EXPECT_EQ(rows[1].event, empty_payload);
  ASSERT_TRUE(rows[1].event.payload.has_value());
  EXPECT_TRUE(rows[1].event.payload->empty());
  EXPECT_EQ(rows[2].event, no_payload);
  EXPECT_FALSE(rows[2].event.payload.has_value());
}

TEST_F(AuditJournalTest, DiscardsPayloadsWhenCaptureIsOff) {
  AuditEvent e = sample_event(1);
  e.payload = bytes("secret reading");
  {
    auto journal = AuditJournal::open(path_);  // capture_payloads defaults to off
    ASSERT_TRUE(journal);
    ASSERT_EQ(journal->submit(e), AuditSubmit::queued);
    ASSERT_TRUE(journal->flush());
  }
  const auto rows = read_all(path_);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_FALSE(rows[0].event.payload.has_value());
}

TEST_F(AuditJournalTest, StampsEventsWithoutATime) {
  const std::int64_t before = audit_now_us();
  AuditEvent e = sample_event(1);
  e.time_us = 0;
  {
    auto journal = AuditJournal::open(path_);
    ASSERT_TRUE(journal);
    ASSERT_EQ(journal->submit(e), AuditSubmit::queued);
    ASSERT_TRUE(journal->flush());
  }
  const auto rows = read_all(path_);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_GE(rows[0].event.time_us, before);
  EXPECT_LE(rows[0].event.time_us, audit_now_us());
}

TEST_F(AuditJournalTest, CreatesTheDatabaseAndItsWalFilesWithMode0600) {
  const mode_t old_mask = ::umask(022);
  auto journal = AuditJournal::open(path_);
  ::umask(old_mask);
  ASSERT_TRUE(journal) << journal.error().message;
  ASSERT_EQ(journal->submit(sample_event(1)), AuditSubmit::queued);
  ASSERT_TRUE(journal->flush());
  EXPECT_EQ(test::file_mode(path_), 0600);
  EXPECT_EQ(test::file_mode(path_ + "-wal"), 0600);
  EXPECT_EQ(test::file_mode(path_ + "-shm"), 0600);
  Database raw = test::open_raw(path_);
  auto stmt = raw.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->column_text(0), "wal");
}

TEST_F(AuditJournalTest, TightensAWiderModeOnAnExistingJournal) {
  test::write_sample_journal(path_, 1);
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto journal = AuditJournal::open(path_);
  ASSERT_TRUE(journal);
  EXPECT_EQ(test::file_mode(path_), 0600);
}

TEST_F(AuditJournalTest, FullQueueWithDropPolicyCountsDropsAndWritesAJournalDropRow) {
  AuditJournalOptions options;
  options.capacity = 8;
  options.batch_max = 8;
  auto journal = AuditJournal::open(path_, options);
  ASSERT_TRUE(journal);
  // Another connection holds the write lock: the writer blocks on its first batch and the
  // queue fills up.
  Database locker = test::open_raw(path_);
  ASSERT_TRUE(locker.exec("BEGIN IMMEDIATE"));
  int queued = 0;
  int dropped = 0;
  for (int i = 1; i <= 100; ++i) {
    const AuditSubmit result = journal->submit(sample_event(i));
    ASSERT_NE(result, AuditSubmit::closed);
    (result == AuditSubmit::queued ? queued : dropped)++;
  }
  EXPECT_GE(dropped, 100 - 16);  // at most one batch in flight plus a full queue
  EXPECT_EQ(journal->stats().dropped, static_cast<std::uint64_t>(dropped));
  ASSERT_TRUE(locker.exec("COMMIT"));
  ASSERT_TRUE(journal->flush());
  EXPECT_EQ(journal->stats().written, static_cast<std::uint64_t>(queued));

  AuditFilter drops;
  drops.types = {AuditType::journal_drop};
  auto reader = AuditReader::open(path_);
  ASSERT_TRUE(reader);
  auto rows = reader->query(drops);
  ASSERT_TRUE(rows);
  // Usually one row; two when the writer took its first batch after the first drops.
  ASSERT_GE(rows->size(), 1U);
  long long reported = 0;
  for (const AuditRecord& row : *rows) {
    long long n = 0;
    ASSERT_EQ(std::sscanf(row.event.details.c_str(), "{\"dropped\":%lld}", &n), 1)
        << row.event.details;
    reported += n;
    EXPECT_EQ(row.event.outcome, AuditOutcome::error);
  }
  EXPECT_EQ(reported, dropped);
  auto report = reader->verify();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->message;
}

TEST_F(AuditJournalTest, SecurityEventsAreNotDroppedWhenTheQueueIsFull) {
  AuditJournalOptions options;
  options.capacity = 8;
  options.security_reserve = 4;
  options.batch_max = 8;
  auto journal = AuditJournal::open(path_, options);
  ASSERT_TRUE(journal);
  Database locker = test::open_raw(path_);
  ASSERT_TRUE(locker.exec("BEGIN IMMEDIATE"));
  for (int i = 1; i <= 40; ++i) (void)journal->submit(sample_event(i));
  const std::uint64_t ordinary_drops = journal->stats().dropped;
  ASSERT_GT(ordinary_drops, 0U);
  // The reserve takes these at once; beyond it, submit waits (on another thread) for space.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(journal->submit(sample_event(100 + i, AuditType::auth_failure)), AuditSubmit::queued);
  }
  std::atomic<int> late_queued{0};
  std::thread late([&] {
    for (int i = 0; i < 6; ++i) {
      if (journal->submit(sample_event(200 + i, AuditType::acl_denial)) == AuditSubmit::queued) {
        ++late_queued;
      }
    }
  });
  ASSERT_TRUE(locker.exec("COMMIT"));
  late.join();
  EXPECT_EQ(late_queued.load(), 6);
  ASSERT_TRUE(journal->flush());
  EXPECT_EQ(journal->stats().dropped, ordinary_drops);

  auto reader = AuditReader::open(path_);
  ASSERT_TRUE(reader);
  AuditFilter security;
  security.types = {AuditType::auth_failure, AuditType::acl_denial};
  auto rows = reader->query(security);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 10U);
}

TEST_F(AuditJournalTest, BlockPolicyMakesSubmitWaitForSpaceAndDropsNothing) {
  AuditJournalOptions options;
  options.capacity = 4;
  options.batch_max = 4;
  options.overflow = OverflowPolicy::block;
  auto journal = AuditJournal::open(path_, options);
  ASSERT_TRUE(journal);
  Database locker = test::open_raw(path_);
  ASSERT_TRUE(locker.exec("BEGIN IMMEDIATE"));
  std::atomic<int> returned{0};
  std::thread producer([&] {
    for (int i = 1; i <= 50; ++i) {
      if (journal->submit(sample_event(i)) == AuditSubmit::queued) ++returned;
    }
  });
  // The queue fills while the writer is stuck, and the producer cannot finish.
  ASSERT_TRUE(eventually([&] { return journal->stats().queued == 4; }));
  EXPECT_LT(returned.load(), 50);
  ASSERT_TRUE(locker.exec("COMMIT"));
  producer.join();
  EXPECT_EQ(returned.load(), 50);
  ASSERT_TRUE(journal->flush());
  const AuditJournalStats stats = journal->stats();
  EXPECT_EQ(stats.dropped, 0U);
  EXPECT_EQ(stats.written, 50U);
  EXPECT_GE(stats.batches, 2U);
}

TEST_F(AuditJournalTest, ReopeningContinuesTheChain) {
  test::write_sample_journal(path_, 10);
  test::write_sample_journal(path_, 5);
  const auto rows = read_all(path_);
  ASSERT_EQ(rows.size(), 15U);
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].seq, static_cast<int>(i) + 1);
  auto reader = AuditReader::open(path_);
  ASSERT_TRUE(reader);
  auto report = reader->verify();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->message;
  EXPECT_EQ(report->rows_checked, 15);
  EXPECT_EQ(report->chain.last_hash, rows.back().hash);
}

TEST_F(AuditJournalTest, CloseDrainsTheQueueAndLaterSubmitsAreRefused) {
  auto journal = AuditJournal::open(path_);
  ASSERT_TRUE(journal);
  for (int i = 1; i <= 1000; ++i) ASSERT_EQ(journal->submit(sample_event(i)), AuditSubmit::queued);
  journal->close();
  EXPECT_EQ(journal->submit(sample_event(1001)), AuditSubmit::closed);
  EXPECT_FALSE(journal->flush());
  EXPECT_EQ(journal->stats().written, 1000U);
  EXPECT_EQ(read_all(path_).size(), 1000U);
}

TEST_F(AuditJournalTest, FlushFromManyThreadsSeesEveryEventOfItsOwnThread) {
  auto journal = AuditJournal::open(path_);
  ASSERT_TRUE(journal);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) (void)journal->submit(sample_event(t * 1000 + i));
      EXPECT_TRUE(journal->flush());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(journal->stats().written, 2000U);
  EXPECT_EQ(journal->head().last_seq, 2000);
}

}  // namespace
}  // namespace arkmq::storage
