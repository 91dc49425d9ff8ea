// Tests of the audit journal reader: filters, follow polling, statistics, and files it refuses.
// Owned by the audit engineer.
#include "storage/audit_reader.hpp"

#include <gtest/gtest.h>

#include "storage/audit_journal.hpp"
#include "storage/audit_schema.hpp"
#include "storage/audit_test_support.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

using test::sample_event;

class AuditReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto journal = AuditJournal::open(path_);
    ASSERT_TRUE(journal) << journal.error().message;
    // 30 publishes (alice/bob/carol by i % 3, plant/<i%4>/temp, deny when i % 5 == 0), then
    // one event of a few other kinds.
    for (int i = 1; i <= 30; ++i) ASSERT_EQ(journal->submit(sample_event(i)), AuditSubmit::queued);
    AuditEvent failure = sample_event(31, AuditType::auth_failure);
    failure.topic.clear();
    failure.principal = "mallory";
    failure.outcome = AuditOutcome::deny;
    failure.details = AuditDetails().add("reason", "bad credentials").str();
    ASSERT_EQ(journal->submit(failure), AuditSubmit::queued);
    AuditEvent sys = sample_event(32, AuditType::subscribe);
    sys.topic = "$SYS/broker/load";
    ASSERT_EQ(journal->submit(sys), AuditSubmit::queued);
    ASSERT_TRUE(journal->flush());
  }

  std::vector<AuditRecord> query(const AuditFilter& filter) {
    auto reader = AuditReader::open(path_);
    EXPECT_TRUE(reader) << reader.error().message;
    if (!reader) return {};
    auto rows = reader->query(filter);
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? *rows : std::vector<AuditRecord>{};
  }

  test::TempDir dir_;
  std::string path_ = dir_.file("audit.db");
};

TEST_F(AuditReaderTest, ReturnsRowsInSeqOrderUpToTheLimit) {
  AuditFilter filter;
  filter.limit = 5;
  const auto rows = query(filter);
  ASSERT_EQ(rows.size(), 5U);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rows[static_cast<std::size_t>(i)].seq, i + 1);
}

TEST_F(AuditReaderTest, FiltersByPrincipalClientTypeAndOutcome) {
  AuditFilter by_principal;
  by_principal.principal = "bob";  // i % 3 == 1: 1, 4, ..., 28, and 31/32 are not bob
  EXPECT_EQ(query(by_principal).size(), 10U);

  AuditFilter by_client;
  by_client.client = "client-3";  // i % 7 == 3: 3, 10, 17, 24, 31
  EXPECT_EQ(query(by_client).size(), 5U);

  AuditFilter by_type;
  by_type.types = {AuditType::auth_failure, AuditType::subscribe};
  const auto typed = query(by_type);
  ASSERT_EQ(typed.size(), 2U);
  EXPECT_EQ(typed[0].event.principal, "mallory");

  AuditFilter denied_publishes;
  denied_publishes.types = {AuditType::publish};
  denied_publishes.outcome = AuditOutcome::deny;  // 5, 10, ..., 30
  EXPECT_EQ(query(denied_publishes).size(), 6U);
}

TEST_F(AuditReaderTest, FiltersByTimeRange) {
  AuditFilter range;
  range.since_us = sample_event(10).time_us;  // inclusive
  range.until_us = sample_event(20).time_us;  // exclusive
  const auto rows = query(range);
  ASSERT_EQ(rows.size(), 10U);
  EXPECT_EQ(rows.front().seq, 10);
  EXPECT_EQ(rows.back().seq, 19);
}

TEST_F(AuditReaderTest, MatchesTopicsWithMqttWildcards) {
  AuditFilter plus;
  plus.topic_filter = "plant/+/temp";
  EXPECT_EQ(query(plus).size(), 30U);
  AuditFilter exact;
  exact.topic_filter = "plant/2/temp";  // i % 4 == 2
  EXPECT_EQ(query(exact).size(), 8U);
  AuditFilter hash;
  hash.topic_filter = "#";  // not $SYS, and not rows without a topic [MQTT-4.7.2-1]
  EXPECT_EQ(query(hash).size(), 30U);
  AuditFilter sys;
  sys.topic_filter = "$SYS/#";
  EXPECT_EQ(query(sys).size(), 1U);
  AuditFilter limited;
  limited.topic_filter = "plant/1/#";
  limited.limit = 3;
  const auto rows = query(limited);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[2].seq, 9);  // 1, 5, 9
}

TEST_F(AuditReaderTest, RefusesAnInvalidTopicFilter) {
  auto reader = AuditReader::open(path_);
  ASSERT_TRUE(reader);
  AuditFilter bad;
  bad.topic_filter = "plant/#/temp";
  auto rows = reader->query(bad);
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().kind, Error::Kind::invalid);
}

TEST_F(AuditReaderTest, FollowingWithAfterSeqSeesOnlyNewRows) {
  auto reader = AuditReader::open(path_);
  ASSERT_TRUE(reader);
  AuditFilter follow;
  follow.after_seq = 32;
  auto none = reader->query(follow);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  auto journal = AuditJournal::open(path_);  // the broker writes while the CLI polls
  ASSERT_TRUE(journal);
  ASSERT_EQ(journal->submit(sample_event(33)), AuditSubmit::queued);
  ASSERT_EQ(journal->submit(sample_event(34)), AuditSubmit::queued);
  ASSERT_TRUE(journal->flush());
  auto fresh = reader->query(follow);
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->size(), 2U);
  EXPECT_EQ(fresh->front().seq, 33);
  follow.after_seq = fresh->back().seq;
  auto again = reader->query(follow);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
}

TEST_F(AuditReaderTest, StatsCountTypesPrincipalsDenialsAndTopTalkers) {
  auto reader = AuditReader::open(path_);
  ASSERT_TRUE(reader);
  auto stats = reader->stats();
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->total, 32);
  ASSERT_FALSE(stats->per_type.empty());
  EXPECT_EQ(stats->per_type.front().key, "publish");
  EXPECT_EQ(stats->per_type.front().count, 30);
  EXPECT_EQ(stats->denials, 7);  // 6 publishes and the auth failure
  ASSERT_EQ(stats->top_talkers.size(), 3U);
  // Ten publishes each; bytes decide: alice (i % 3 == 0) has the largest sizes (10 + i).
  EXPECT_EQ(stats->top_talkers[0].principal, "alice");
  EXPECT_EQ(stats->top_talkers[0].publishes, 10);
  EXPECT_EQ(stats->top_talkers[0].bytes, 265);
  EXPECT_EQ(stats->top_talkers[2].principal, "bob");

  auto recent = reader->stats(sample_event(31).time_us, 1);
  ASSERT_TRUE(recent);
  EXPECT_EQ(recent->total, 2);
  EXPECT_EQ(recent->per_principal.size(), 1U);
  EXPECT_TRUE(recent->top_talkers.empty());
}

TEST_F(AuditReaderTest, TopTalkersCountASummaryRowAsItsCountAndBytes) {
  auto journal = AuditJournal::open(path_);
  ASSERT_TRUE(journal);
  AuditEvent summary = sample_event(33);
  summary.type = AuditType::publish;
  summary.outcome = AuditOutcome::allow;
  summary.principal = "dave";
  summary.details = R"({"qos":0,"retain":false,"count":500,"bytes":4500,"size_max":9,"last_us":1})";
  ASSERT_EQ(journal->submit(summary), AuditSubmit::queued);
  ASSERT_TRUE(journal->flush());
  auto reader = AuditReader::open(path_);
  ASSERT_TRUE(reader);
  auto stats = reader->stats();
  ASSERT_TRUE(stats) << stats.error().message;
  ASSERT_FALSE(stats->top_talkers.empty());
  EXPECT_EQ(stats->top_talkers[0].principal, "dave");  // one row, 500 publishes
  EXPECT_EQ(stats->top_talkers[0].publishes, 500);
  EXPECT_EQ(stats->top_talkers[0].bytes, 4500);
  EXPECT_EQ(stats->top_talkers[1].publishes, 10);  // per-message rows count one each
}

class AuditFileTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::string path_ = dir_.file("audit.db");
};

TEST_F(AuditFileTest, AMissingFileIsNotFoundForTheReader) {
  auto reader = AuditReader::open(path_);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().kind, Error::Kind::not_found);
  EXPECT_EQ(test::file_mode(path_), -1);  // and it was not created
}

TEST_F(AuditFileTest, AFileThatIsNotSqliteIsRefusedAsCorrupt) {
  test::write_file(path_, test::random_bytes(8192));
  auto journal = AuditJournal::open(path_);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().kind, Error::Kind::corrupt);
  EXPECT_NE(journal.error().message.find(path_), std::string::npos) << journal.error().message;
  auto reader = AuditReader::open(path_);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().kind, Error::Kind::corrupt);
}

TEST_F(AuditFileTest, ANewerSchemaIsRefusedAndLeftUntouched) {
  test::write_sample_journal(path_, 3);
  test::exec_raw(path_, "PRAGMA user_version = 99");
  auto journal = AuditJournal::open(path_);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().kind, Error::Kind::newer_schema);
  EXPECT_NE(journal.error().message.find("99"), std::string::npos) << journal.error().message;
  auto reader = AuditReader::open(path_);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().kind, Error::Kind::newer_schema);
  Database raw = test::open_raw(path_);
  EXPECT_EQ(raw.query_int64("SELECT count(*) FROM events").value_or(-1), 3);
}

TEST_F(AuditFileTest, AnotherDatabaseIsNotTurnedIntoAJournal) {
  test::exec_raw(path_, "CREATE TABLE users (name TEXT); PRAGMA user_version = 1");
  auto journal = AuditJournal::open(path_);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().kind, Error::Kind::invalid);
  EXPECT_NE(journal.error().message.find("not an arkmq audit journal"), std::string::npos);
  Database raw = test::open_raw(path_);
  EXPECT_FALSE(raw.query_int64("SELECT count(*) FROM events"));
}

TEST_F(AuditFileTest, ATruncatedFileIsRefused) {
  test::write_sample_journal(path_, 2000);
  const std::string whole = test::read_file(path_);
  ASSERT_GT(whole.size(), 8192U);
  test::write_file(path_, whole.substr(0, 100));  // the header itself is cut
  auto reader = AuditReader::open(path_);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().kind, Error::Kind::corrupt) << reader.error().message;
}

}  // namespace
}  // namespace arkmq::storage
