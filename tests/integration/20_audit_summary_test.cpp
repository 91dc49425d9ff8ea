// 20 audit journal, publish summaries: with the default [audit] publishes ("summary"), accepted
// publishes from real mosquitto_pub clients become `publish` rows with a count per (client, peer,
// topic, QoS, retain, ...) and second, and the counts add up to exactly what was published, also
// when the broker is stopped with SIGTERM before the second ends.
#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "tests/support/audit_helpers.hpp"
#include "tests/support/run_command.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

constexpr int kPerRun = 125;  // 2 clients x 2 topics x 125 = 500 publishes
const std::string kPayload = "payload-9";

class AuditSummary : public AuditTest {
 protected:
  // The operator's default: no `publishes` line in [audit].
  static BrokerOptions default_audit() {
    AuditSettings settings;
    settings.publishes = "";
    return audit_options(settings);
  }
  // One mosquitto_pub connection: `kPerRun` QoS 1 messages on `topic` as alice.
  void publish(const std::string& client_id, const std::string& topic) {
    const CommandResult result = run_command(
        {"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker().port()), "-V", "5",
         "-q", "1", "-i", client_id, "-u", "alice", "-P", kAlicePassword, "-t", topic, "-m",
         kPayload, "--repeat", std::to_string(kPerRun)},
        30s);
    ASSERT_TRUE(result.ok()) << "mosquitto_pub: " << result.output;
  }
  // Two clients, two topics each: 500 accepted publishes.
  void publish_500() {
    for (const std::string& id : client_ids_) {
      for (const std::string& topic : topics_) publish(id, topic);
    }
  }
  using Key = std::pair<std::string, std::string>;  // client id, topic
  std::map<Key, std::int64_t> counts(const std::vector<AuditRow>& rows) const {
    std::map<Key, std::int64_t> out;
    for (const AuditRow& row : rows) {
      if (row.outcome != "allow") continue;
      out[{row.client_id, row.topic}] += row.details.value("count", std::int64_t{0});
    }
    return out;
  }
  bool complete(const std::vector<AuditRow>& rows) const {
    const auto summed = counts(rows);
    for (const std::string& id : client_ids_) {
      for (const std::string& topic : topics_) {
        const auto found = summed.find({id, topic});
        if (found == summed.end() || found->second != kPerRun) return false;
      }
    }
    return summed.size() == 4;
  }
  // Every accepted publish row is a summary row with consistent details.
  void expect_summary_rows(const std::vector<AuditRow>& rows) const {
    std::size_t summaries = 0;
    for (const AuditRow& row : rows) {
      if (row.outcome != "allow") continue;
      ++summaries;
      const auto count = row.details.value("count", std::int64_t{0});
      EXPECT_GT(count, 0) << row.line;
      EXPECT_EQ(row.details.value("bytes", std::int64_t{-1}),
                count * static_cast<std::int64_t>(kPayload.size()))
          << row.line;
      EXPECT_EQ(row.details.value("size_max", std::int64_t{-1}),
                static_cast<std::int64_t>(kPayload.size()))
          << row.line;
      EXPECT_EQ(row.details.value("qos", -1), 1) << row.line;
      EXPECT_EQ(row.details.value("retain", true), false) << row.line;
      EXPECT_TRUE(row.details.contains("last_us")) << row.line;
      EXPECT_FALSE(row.details.contains("size")) << "a per-message row: " << row.line;
      EXPECT_EQ(row.principal, "alice") << row.line;
      EXPECT_EQ(row.listener, listener()) << row.line;
      EXPECT_FALSE(row.payload) << row.line;
    }
    // One row per key and second, not one per message (each run lasts a few seconds at most).
    EXPECT_LE(summaries, 40u) << describe(rows);
  }

  std::vector<std::string> client_ids_{unique_client_id("sum-a"), unique_client_id("sum-b")};
  std::vector<std::string> topics_{"allowed/summary/one", "allowed/summary/two"};
};

TEST_F(AuditSummary, DefaultJournalWritesSummaryRowsWhoseCountsAddUpToEveryPublish) {
  start_audit_broker(default_audit());
  EXPECT_TRUE(broker().wait_for_log("publishes summary", 5s)) << broker().log_text();
  publish_500();
  std::vector<AuditRow> rows;
  // Written by the broker's timer once each key's second has ended (no shutdown needed).
  ASSERT_TRUE(wait_for_audit(
      data_dir(), {"--type", "publish"},
      [&](const std::vector<AuditRow>& all) { return complete(all); }, &rows, 10s))
      << describe(rows);
  expect_summary_rows(rows);
  // A refused publish is still one row of its own (acl_denial), not summarized.
  const CommandResult refused = run_command(
      {"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker().port()), "-V", "5", "-q",
       "1", "-i", client_ids_[0], "-u", "alice", "-P", kAlicePassword, "-t", "secret/x", "-m",
       "no"},
      10s);
  (void)refused;  // mosquitto_pub's exit for a refused QoS 1 publish varies by version
  expect_row({"--type", "acl_denial"},
             [&](const AuditRow& row) { return row.topic == "secret/x"; }, "the refused publish");
  ASSERT_TRUE(broker().stop());
  const AuditQuery after = query_audit(data_dir(), {"--type", "publish"});
  ASSERT_TRUE(after.ok()) << after.error;
  EXPECT_TRUE(complete(after.rows)) << "counts changed at shutdown:\n" << describe(after.rows);
  const ArkmqctlResult verify = run_arkmqctl(data_dir(), {"audit", "verify"});
  EXPECT_TRUE(verify.ok()) << verify.out << verify.err;
}

TEST_F(AuditSummary, SigtermWithinTheIntervalWritesThePendingCountsBeforeTheJournalCloses) {
  start_audit_broker(default_audit());
  publish_500();
  // At once: the last publishes' second has not ended, their counts are only in memory.
  ASSERT_TRUE(broker().stop());
  const AuditQuery rows = query_audit(data_dir(), {"--type", "publish"});
  ASSERT_TRUE(rows.ok()) << rows.error;
  EXPECT_TRUE(complete(rows.rows)) << describe(rows.rows);
  expect_summary_rows(rows.rows);
}

TEST_F(AuditSummary, PublishesAllKeepsOneRowPerMessage) {
  start_audit_broker(audit_options(journaling_publishes("all")));
  publish(client_ids_[0], topics_[0]);
  std::vector<AuditRow> rows;
  EXPECT_TRUE(wait_for_audit(
      data_dir(), {"--type", "publish", "--client", client_ids_[0]},
      [](const std::vector<AuditRow>& all) { return all.size() == kPerRun; }, &rows, 10s))
      << rows.size() << " rows";
  for (const AuditRow& row : rows) {
    EXPECT_EQ(row.detail("size"), std::to_string(kPayload.size())) << row.line;
    EXPECT_FALSE(row.details.contains("count")) << row.line;
  }
}

}  // namespace
}  // namespace arkmq::test
