// Tamper-evidence tests: a second SQLite connection edits the journal file the way someone with
// write access could, and verify() must name the first bad row and what happened to it. Also
// retention, which moves the anchor and must keep verify passing. Owned by the audit engineer.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "storage/audit_journal.hpp"
#include "storage/audit_reader.hpp"
#include "storage/audit_schema.hpp"
#include "storage/audit_test_support.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

using test::exec_raw;
using test::sample_event;

class AuditVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AuditJournalOptions options;
    options.capture_payloads = true;
    auto journal = AuditJournal::open(path_, options);
    ASSERT_TRUE(journal) << journal.error().message;
    for (int i = 1; i <= 20; ++i) {
      AuditEvent e = sample_event(i);
      if (i % 2 == 0) e.payload = std::vector<std::byte>(static_cast<std::size_t>(i), std::byte{7});
      ASSERT_EQ(journal->submit(e), AuditSubmit::queued);
    }
    ASSERT_TRUE(journal->flush());
  }

  VerifyReport verify() {
    auto reader = AuditReader::open(path_);
    EXPECT_TRUE(reader) << reader.error().message;
    if (!reader) return {};
    auto report = reader->verify();
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : VerifyReport{};
  }

  void expect_failure(VerifyFailure kind, std::int64_t seq) {
    const VerifyReport report = verify();
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(to_string(report.kind), to_string(kind)) << report.message;
    EXPECT_EQ(report.first_bad_seq, seq) << report.message;
    EXPECT_FALSE(report.message.empty());
  }

  // Moves row `from` to seq `to` (which must be free), content and hash together.
  void move_row(int from, int to) {
    exec_raw(path_, "UPDATE events SET seq = " + std::to_string(to) +
                        " WHERE seq = " + std::to_string(from));
  }

  void insert_row(std::int64_t seq, const AuditEvent& e, const AuditHash& hash) {
    Database raw = test::open_raw(path_);
    auto stmt = raw.prepare(std::string("INSERT INTO events (") + audit_schema::kEventColumns +
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)");
    ASSERT_TRUE(stmt);
    ASSERT_TRUE(stmt->bind_int64(1, seq));
    ASSERT_TRUE(stmt->bind_int64(2, e.time_us));
    ASSERT_TRUE(stmt->bind_text(3, to_string(e.type)));
    ASSERT_TRUE(stmt->bind_text(4, to_string(e.outcome)));
    ASSERT_TRUE(stmt->bind_text(5, e.client_id));
    ASSERT_TRUE(stmt->bind_text(6, e.principal));
    ASSERT_TRUE(stmt->bind_text(7, e.peer));
    ASSERT_TRUE(stmt->bind_text(8, e.listener));
    ASSERT_TRUE(stmt->bind_text(9, e.topic));
    ASSERT_TRUE(stmt->bind_text(10, e.details));
    ASSERT_TRUE(stmt->bind_blob(11, std::as_bytes(std::span(hash))));
    ASSERT_TRUE(stmt->run());
  }

  test::TempDir dir_;
  std::string path_ = dir_.file("audit.db");
};

TEST_F(AuditVerifyTest, AnIntactJournalPassesAndReportsTheHead) {
  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.kind, VerifyFailure::none);
  EXPECT_EQ(report.rows_checked, 20);
  EXPECT_EQ(report.chain.first_seq, 1);
  EXPECT_EQ(report.chain.last_seq, 20);
  EXPECT_NE(report.chain.last_hash, AuditHash{});
}

TEST_F(AuditVerifyTest, AModifiedFieldIsNamedAsModified) {
  exec_raw(path_, "UPDATE events SET principal = 'eve' WHERE seq = 5");
  expect_failure(VerifyFailure::modified, 5);
}

TEST_F(AuditVerifyTest, AModifiedPayloadOrTimeIsDetected) {
  exec_raw(path_, "UPDATE events SET payload = x'00' WHERE seq = 12");
  expect_failure(VerifyFailure::modified, 12);
}

TEST_F(AuditVerifyTest, ADeletedRowIsNamedAsDeleted) {
  exec_raw(path_, "DELETE FROM events WHERE seq = 7");
  expect_failure(VerifyFailure::deleted, 7);
}

TEST_F(AuditVerifyTest, DeletingTheFirstRowIsDetected) {
  exec_raw(path_, "DELETE FROM events WHERE seq = 1");
  expect_failure(VerifyFailure::deleted, 1);
}

TEST_F(AuditVerifyTest, TwoSwappedRowsAreNamedAsReordered) {
  move_row(4, -1);
  move_row(9, 4);
  move_row(-1, 9);
  expect_failure(VerifyFailure::reordered, 4);
}

TEST_F(AuditVerifyTest, TwoAdjacentSwappedRowsAreNamedAsReordered) {
  move_row(4, -1);
  move_row(5, 4);
  move_row(-1, 5);
  expect_failure(VerifyFailure::reordered, 4);
}

TEST_F(AuditVerifyTest, SwappedContentUnderTheOriginalHashesIsNamedAsReordered) {
  move_row(4, -1);
  move_row(9, 4);
  move_row(-1, 9);
  exec_raw(path_,
           "CREATE TEMP TABLE h AS SELECT seq, hash FROM events WHERE seq IN (4, 9);"
           "UPDATE events SET hash = (SELECT hash FROM h WHERE h.seq = 13 - events.seq) "
           "WHERE seq IN (4, 9);");
  expect_failure(VerifyFailure::reordered, 4);
}

TEST_F(AuditVerifyTest, AForgedRowAfterTheHeadIsNamedAsInsertedEvenWithAValidHash) {
  auto reader = AuditReader::open(path_);
  ASSERT_TRUE(reader);
  auto chain = reader->chain_state();
  ASSERT_TRUE(chain);
  AuditEvent forged = sample_event(21);
  forged.principal = "admin";
  audit_schema::RowHasher hasher;
  insert_row(21, forged, hasher.hash(chain->last_hash, 21, forged));
  expect_failure(VerifyFailure::inserted, 21);
}

TEST_F(AuditVerifyTest, AForgedRowPushedIntoTheMiddleIsNamedAsInserted) {
  // Renumber 6..20 to 7..21, then put a forged row at 6.
  exec_raw(path_,
           "UPDATE events SET seq = -seq WHERE seq >= 6;"
           "UPDATE events SET seq = 1 - seq WHERE seq < 0;");
  insert_row(6, sample_event(99), AuditHash{});
  expect_failure(VerifyFailure::inserted, 6);
}

TEST_F(AuditVerifyTest, AForgedRowBeforeTheAnchorIsNamedAsInserted) {
  insert_row(0, sample_event(0), AuditHash{});
  expect_failure(VerifyFailure::inserted, 0);
}

TEST_F(AuditVerifyTest, DeletingTheLastRowsIsNamedAsTruncated) {
  exec_raw(path_, "DELETE FROM events WHERE seq > 17");
  expect_failure(VerifyFailure::truncated, 18);
}

TEST_F(AuditVerifyTest, DeletingEveryRowIsNamedAsTruncated) {
  exec_raw(path_, "DELETE FROM events");
  expect_failure(VerifyFailure::truncated, 1);
}

TEST_F(AuditVerifyTest, AChainHeadThatDisagreesWithTheRowsIsReported) {
  exec_raw(path_, "UPDATE chain_head SET last_hash = zeroblob(32)");
  expect_failure(VerifyFailure::head_mismatch, 20);
}

TEST_F(AuditVerifyTest, AMissingChainHeadIsAStructureFailure) {
  exec_raw(path_, "DELETE FROM chain_head");
  const VerifyReport report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.kind, VerifyFailure::structure);
}

// ---- Retention ----

class AuditRetentionTest : public ::testing::Test {
 protected:
  VerifyReport verify() {
    auto reader = AuditReader::open(path_);
    EXPECT_TRUE(reader) << reader.error().message;
    if (!reader) return {};
    auto report = reader->verify();
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : VerifyReport{};
  }

  std::vector<AuditRecord> rows(AuditType type) {
    auto reader = AuditReader::open(path_);
    EXPECT_TRUE(reader);
    if (!reader) return {};
    AuditFilter filter;
    filter.types = {type};
    auto out = reader->query(filter);
    EXPECT_TRUE(out);
    return out ? *out : std::vector<AuditRecord>{};
  }

  test::TempDir dir_;
  std::string path_ = dir_.file("audit.db");
};

TEST_F(AuditRetentionTest, MaxRowsPrunesTheOldestAndVerifyStillPasses) {
  AuditJournalOptions options;
  options.retention.max_rows = 10;
  options.retention.interval = std::chrono::hours(1);  // only prune_now() prunes here
  auto journal = AuditJournal::open(path_, options);
  ASSERT_TRUE(journal);
  for (int i = 1; i <= 50; ++i) ASSERT_EQ(journal->submit(sample_event(i)), AuditSubmit::queued);
  ASSERT_TRUE(journal->flush());
  auto pruned = journal->prune_now();
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(pruned->pruned, 41);
  EXPECT_EQ(pruned->first_seq, 42);
  EXPECT_EQ(journal->stats().pruned, 41U);

  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.rows_checked, 10);  // 42..50 and the retention row 51
  EXPECT_EQ(report.chain.first_seq, 42);
  const auto retention = rows(AuditType::retention);
  ASSERT_EQ(retention.size(), 1U);
  EXPECT_EQ(retention[0].seq, 51);
  EXPECT_NE(retention[0].event.details.find("\"pruned\":41"), std::string::npos);
  EXPECT_NE(retention[0].event.details.find(to_hex(report.chain.anchor_hash)), std::string::npos);

  // Nothing more to prune, and writing continues on the same chain.
  auto again = journal->prune_now();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->pruned, 0);
  ASSERT_EQ(journal->submit(sample_event(60)), AuditSubmit::queued);
  ASSERT_TRUE(journal->flush());
  EXPECT_TRUE(verify().ok);
}

TEST_F(AuditRetentionTest, MaxAgePrunesOlderRowsOnly) {
  AuditJournalOptions options;
  options.retention.max_age = std::chrono::hours(1);
  options.retention.interval = std::chrono::hours(1);
  auto journal = AuditJournal::open(path_, options);
  ASSERT_TRUE(journal);
  const std::int64_t now = audit_now_us();
  for (int i = 1; i <= 30; ++i) {
    AuditEvent e = sample_event(i);
    e.time_us = i <= 20 ? now - 2LL * 3600 * 1'000'000 : now;
    ASSERT_EQ(journal->submit(e), AuditSubmit::queued);
  }
  ASSERT_TRUE(journal->flush());
  auto pruned = journal->prune_now();
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(pruned->pruned, 20);
  EXPECT_EQ(pruned->first_seq, 21);
  const VerifyReport report = verify();
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.rows_checked, 11);
}

TEST_F(AuditRetentionTest, MaxBytesPrunesUntilTheFileIsUnderTheLimit) {
  AuditJournalOptions options;
  options.retention.interval = std::chrono::hours(1);
  auto journal = AuditJournal::open(path_, options);
  ASSERT_TRUE(journal);
  for (int i = 1; i <= 2000; ++i) {
    AuditEvent e = sample_event(i);
    e.details = AuditDetails().add("filler", std::string(400, 'x')).str();
    ASSERT_EQ(journal->submit(e), AuditSubmit::queued);
  }
  ASSERT_TRUE(journal->flush());
  journal->close();
  Database raw = test::open_raw(path_);
  const std::int64_t bytes = *raw.query_int64("PRAGMA page_count") *
                             *raw.query_int64("PRAGMA page_size");
  ASSERT_GT(bytes, 800'000);

  options.retention.max_bytes = bytes / 2;
  auto limited = AuditJournal::open(path_, options);
  ASSERT_TRUE(limited);
  auto pruned = limited->prune_now();
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_GT(pruned->pruned, 1000);
  EXPECT_LT(pruned->pruned, 2000);
  const std::int64_t after = (*raw.query_int64("PRAGMA page_count") -
                              *raw.query_int64("PRAGMA freelist_count")) *
                             *raw.query_int64("PRAGMA page_size");
  EXPECT_LE(after, bytes / 2);
  EXPECT_TRUE(verify().ok);
}

TEST_F(AuditRetentionTest, TheWriterPrunesPeriodicallyOnItsOwn) {
  AuditJournalOptions options;
  options.retention.max_rows = 10;
  options.retention.interval = std::chrono::milliseconds(10);
  auto journal = AuditJournal::open(path_, options);
  ASSERT_TRUE(journal);
  for (int i = 1; i <= 50; ++i) ASSERT_EQ(journal->submit(sample_event(i)), AuditSubmit::queued);
  ASSERT_TRUE(journal->flush());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (journal->stats().pruned < 41 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_GE(journal->stats().pruned, 41U);
  EXPECT_TRUE(verify().ok);
}

TEST_F(AuditRetentionTest, TamperingWithTheKeptRowsIsStillDetectedAfterPruning) {
  AuditJournalOptions options;
  options.retention.max_rows = 10;
  options.retention.interval = std::chrono::hours(1);
  {
    auto journal = AuditJournal::open(path_, options);
    ASSERT_TRUE(journal);
    for (int i = 1; i <= 30; ++i) (void)journal->submit(sample_event(i));
    ASSERT_TRUE(journal->flush());
    ASSERT_TRUE(journal->prune_now());
  }
  exec_raw(path_, "DELETE FROM events WHERE seq = (SELECT min(seq) FROM events)");
  const VerifyReport report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.kind, VerifyFailure::deleted);
  EXPECT_EQ(report.first_bad_seq, 22);
}

}  // namespace
}  // namespace arkmq::storage
