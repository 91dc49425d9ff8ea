// Process tests of `arkmqctl audit` over a journal written with storage::AuditJournal in a temp
// data dir (audit_test_journal.hpp): query filters, text/JSON/CSV formats and their escaping,
// relative times, usage errors, verify (intact and tampered) and stats. follow and replay are in
// audit_live_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "storage/sqlite.hpp"
#include "tools/arkmqctl/audit_test_journal.hpp"

namespace arkmq::ctl::test {
namespace {

using storage::AuditOutcome;
using storage::AuditType;

TEST_F(ArkmqctlAudit, QueryPrintsEveryRowInSeqOrderAsText) {
  const auto result = ctl({"audit", "query"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(seqs(result), (Seqs{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 10U);
  EXPECT_EQ(
      lines[0],
      "2026-11-27T18:00:00.000000Z 1 connection_accepted allow - sensor-1 127.0.0.1:50000 - -");
  EXPECT_EQ(lines[2],
            "2026-11-27T18:00:02.000000Z 3 publish allow alice sensor-1 127.0.0.1:50000 "
            "plant/1/temp qos=1 retain=false size=4");
  EXPECT_EQ(lines[9],
            "2026-11-27T18:00:08.000000Z 10 disconnect error alice sensor-1 127.0.0.1:50000 - "
            "reason=keep\\x20alive\\x20timeout");
  EXPECT_TRUE(result.err.empty()) << result.err;
}

TEST_F(ArkmqctlAudit, TextEscapesControlBytesAnsiAndInvalidUtf8) {
  const auto result = ctl({"audit", "query"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(result.out.find('\r'), std::string::npos);
  EXPECT_EQ(result.out.find('\xff'), std::string::npos);
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 10U);  // no raw newline split a row
  EXPECT_NE(lines[4].find(" mallory\\r evil\\x1b[31m\\nid\", "), std::string::npos) << lines[4];
  EXPECT_NE(lines[4].find("reason=bad\\x20\"password\"\\n\\x1b[2J"), std::string::npos) << lines[4];
  EXPECT_NE(lines[8].find(" - \\xff\\xfe-raw 127.0.0.1:50000 living\\x20room/# -"),
            std::string::npos)
      << lines[8];
  for (const auto& line : lines) {
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string word; fields >> word;) words.push_back(word);
    EXPECT_GE(words.size(), 9U) << line;
  }
}

TEST_F(ArkmqctlAudit, QueryFiltersByTimeRange) {
  EXPECT_EQ(query_seqs({"--since", "2026-11-27T18:00:02Z", "--until", "2026-11-27T18:00:04Z"}),
            (Seqs{3, 4, 5}));
  EXPECT_EQ(query_seqs({"--since", "2026-11-27T19:00:02.5+01:00", "--until",
                        "2026-11-27T18:00:04.000001Z"}),
            (Seqs{4, 5, 6}));
  EXPECT_EQ(query_seqs({"--until", "2026-11-27T18:00:01Z"}), (Seqs{1}));
}

TEST_F(ArkmqctlAudit, QueryFiltersByClientUserTypeAndOutcome) {
  EXPECT_EQ(query_seqs({"--client", "sensor-1"}), (Seqs{1, 2, 3, 4, 10}));
  EXPECT_EQ(query_seqs({"--client", kEvilClient}), (Seqs{5}));
  EXPECT_EQ(query_seqs({"--user", "bob"}), (Seqs{6, 7, 8}));
  EXPECT_EQ(query_seqs({"--type", "publish"}), (Seqs{3, 4, 7}));
  EXPECT_EQ(query_seqs({"--type", "publish", "--type", "acl_denial"}), (Seqs{3, 4, 6, 7}));
  EXPECT_EQ(query_seqs({"--type", "subscribe,auth_failure"}), (Seqs{5, 8, 9}));
  EXPECT_EQ(query_seqs({"--outcome", "deny"}), (Seqs{5, 6}));
  EXPECT_EQ(query_seqs({"--outcome", "error"}), (Seqs{10}));
  EXPECT_EQ(
      query_seqs({"--user", "alice", "--type", "publish", "--since", "2026-11-27T18:00:02.1Z"}),
      (Seqs{4}));
}

TEST_F(ArkmqctlAudit, QueryTopicFilterUsesMqttWildcards) {
  EXPECT_EQ(query_seqs({"--topic", "plant/+/temp"}), (Seqs{3, 4, 8}));
  EXPECT_EQ(query_seqs({"--topic", "plant/#"}), (Seqs{3, 4, 7, 8}));
  EXPECT_EQ(query_seqs({"--topic", "#"}), (Seqs{3, 4, 6, 7, 8, 9}));
  EXPECT_EQ(query_seqs({"--topic", "living room/+"}), (Seqs{9}));  // the row's topic is literal
  EXPECT_EQ(query_seqs({"--topic", "living room/x"}), (Seqs{}));
}

TEST_F(ArkmqctlAudit, QueryLimitKeepsTheOldestRows) {
  EXPECT_EQ(query_seqs({"--limit", "2"}), (Seqs{1, 2}));
  EXPECT_EQ(query_seqs({"--limit", "3", "--type", "publish,subscribe"}), (Seqs{3, 4, 7}));
  EXPECT_EQ(query_seqs({"--limit", "0"}).size(), 10U);
}

TEST_F(ArkmqctlAudit, RelativeTimesCountBackFromNow) {
  // --user dave keeps the fixed-date sample rows out, whatever day the test runs.
  const std::int64_t now = storage::audit_now_us();
  append(
      {event(now - 5 * 86400 * kSecond, AuditType::auth_success, AuditOutcome::allow, "old",
             "dave"),
       event(now - 2 * 3600 * kSecond, AuditType::auth_success, AuditOutcome::allow, "hours",
             "dave"),
       event(now - 10 * kSecond, AuditType::auth_success, AuditOutcome::allow, "recent", "dave")});
  EXPECT_EQ(query_seqs({"--user", "dave", "--since", "-1h"}), (Seqs{13}));
  EXPECT_EQ(query_seqs({"--user", "dave", "--since", "-90m"}), (Seqs{13}));
  EXPECT_EQ(query_seqs({"--user", "dave", "--since", "-3h", "--until", "-1h"}), (Seqs{12}));
  EXPECT_EQ(query_seqs({"--user", "dave", "--since", "-2d", "--until", "now"}), (Seqs{12, 13}));
  EXPECT_EQ(query_seqs({"--user", "dave", "--until", "-1d"}), (Seqs{11}));
  EXPECT_EQ(query_seqs({"--user", "dave", "--since", "-1w"}), (Seqs{11, 12, 13}));
}

TEST_F(ArkmqctlAudit, BadTimesTypesFiltersAndFormatsAreBadUsage) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--since", "yesterday"},
                                               {"--until", "2026-11-27T25:00:00Z"},
                                               {"--since", "-1x"},
                                               {"--type", "bogus"},
                                               {"--topic", "a/#/b"},
                                               {"--outcome", "maybe"},
                                               {"--csv", "--json"},
                                               {"--since", "now", "--until", "-1h"}}) {
    std::vector<std::string> full{"audit", "query"};
    full.insert(full.end(), args.begin(), args.end());
    const auto result = ctl(full);
    EXPECT_EQ(result.exit_code, 2) << args[0] << " " << result.err;
    EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  }
  const auto bad_time = ctl({"audit", "query", "--since", "yesterday"});
  EXPECT_NE(bad_time.err.find("invalid time 'yesterday'"), std::string::npos) << bad_time.err;
}

TEST_F(ArkmqctlAudit, MissingJournalFailsWithAHint) {
  std::filesystem::remove(journal_path());
  for (const char* command : {"query", "verify", "stats", "follow"}) {
    const auto result = ctl({"audit", command});
    EXPECT_EQ(result.exit_code, 1) << command;
    EXPECT_EQ(result.err, "arkmqctl: no audit journal at " + journal_path() +
                              " (the broker writes it when it runs with this data dir)\n");
  }
}

TEST_F(ArkmqctlAudit, JsonLinesParseAndKeepEveryByte) {
  const auto result = ctl({"audit", "query", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char c : result.out) {
    const auto byte = static_cast<unsigned char>(c);
    ASSERT_TRUE(c == '\n' || (byte >= 0x20 && byte < 0x7f)) << "raw byte " << int(byte);
  }
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 10U);
  std::vector<nlohmann::json> rows;
  for (const auto& line : lines) rows.push_back(nlohmann::json::parse(line));
  EXPECT_EQ(rows[0]["time"], "2026-11-27T18:00:00.000000Z");
  EXPECT_EQ(rows[0]["time_us"], kT0);
  EXPECT_EQ(rows[0]["seq"], 1);
  EXPECT_EQ(rows[0]["type"], "connection_accepted");
  EXPECT_EQ(rows[0]["principal"], "");
  EXPECT_TRUE(rows[0]["payload"].is_null());
  EXPECT_EQ(rows[2]["payload"], "MjEuNQ==");  // "21.5"
  EXPECT_EQ(rows[2]["details"]["qos"], 1);
  EXPECT_EQ(rows[3]["payload"], "AP8beA==");  // 00 ff 1b 'x'
  EXPECT_EQ(rows[4]["client_id"], kEvilClient);
  EXPECT_EQ(rows[4]["principal"], "mallory\r");
  EXPECT_EQ(rows[4]["details"]["reason"], "bad \"password\"\n\x1b[2J");
  EXPECT_FALSE(rows[4].contains("raw_hex"));
  EXPECT_TRUE(rows[6]["payload"].is_null());                // publish without a captured payload
  EXPECT_EQ(rows[8]["client_id"], "\xc3\xbf\xc3\xbe-raw");  // U+00FF U+00FE
  EXPECT_EQ(rows[8]["raw_hex"]["client_id"], "fffe2d726177");
  EXPECT_EQ(rows[9]["outcome"], "error");
  EXPECT_EQ(rows[9]["hash"].get<std::string>().size(), 64U);
}

TEST_F(ArkmqctlAudit, DetailsWithInvalidUtf8StayExactInEveryFormat) {
  append({event(kT0 + 9 * kSecond, AuditType::auth_failure, AuditOutcome::deny, "c", "p", "",
                storage::AuditDetails().add("reason", "x\xff").str())});
  const auto text = ctl({"audit", "query", "--type", "auth_failure", "--client", "c"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(R"( {"reason":"x\xff"})"), std::string::npos) << text.out;
  const auto json = ctl({"audit", "query", "--json", "--client", "c"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto row = nlohmann::json::parse(json.out);
  EXPECT_EQ(row["details"]["reason"], "x\xc3\xbf");
  EXPECT_EQ(row["raw_hex"]["details"], "7b22726561736f6e223a2278ff227d");
}

TEST_F(ArkmqctlAudit, CsvHasAHeaderAndQuotesPerRfc4180) {
  const auto result = ctl({"audit", "query", "--csv"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(result.out.find('\r'), std::string::npos);
  const auto records = parse_csv(result.out);
  ASSERT_EQ(records.size(), 11U);
  EXPECT_EQ(records[0], (std::vector<std::string>{"time", "time_us", "seq", "type", "outcome",
                                                  "principal", "client_id", "peer", "listener",
                                                  "topic", "details", "payload", "hash"}));
  for (const auto& record : records) EXPECT_EQ(record.size(), 13U);
  EXPECT_EQ(records[3][2], "3");
  EXPECT_EQ(records[3][10], R"({"qos":1,"retain":false,"size":4})");
  EXPECT_EQ(records[3][11], "MjEuNQ==");
  EXPECT_EQ(records[5][5], "mallory\\r");
  EXPECT_EQ(records[5][6], "evil\\x1b[31m\\nid\",");
  EXPECT_EQ(nlohmann::json::parse(records[5][10])["reason"], "bad \"password\"\n\x1b[2J");
  EXPECT_EQ(records[7][11], "");
  EXPECT_EQ(records[9][6], "\\xff\\xfe-raw");
  EXPECT_EQ(records[9][9], "living room/#");
}

TEST_F(ArkmqctlAudit, VerifyReportsRowsCheckedAndTheChainHead) {
  const auto head = append({});
  const auto result = ctl({"audit", "verify"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "audit journal intact: 10 rows checked (seq 1..10)\nchain head: seq 10 hash " +
                storage::to_hex(head.last_hash) + "\n");
  const auto json = ctl({"audit", "verify", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["rows_checked"], 10);
  EXPECT_EQ(doc["head_hash"], storage::to_hex(head.last_hash));
}

TEST_F(ArkmqctlAudit, VerifyFailsNamingTheFirstTamperedSeq) {
  {
    storage::OpenOptions options;
    options.access = storage::OpenOptions::Access::read_write;
    auto db = storage::Database::open(journal_path(), options);
    ASSERT_TRUE(db) << db.error().message;
    auto changed = db->exec("UPDATE events SET topic = 'plant/9/temp' WHERE seq = 4");
    ASSERT_TRUE(changed) << changed.error().message;
  }
  const auto result = ctl({"audit", "verify"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("seq 4: modified"), std::string::npos) << result.err;
  const auto json = ctl({"audit", "verify", "--json"});
  EXPECT_EQ(json.exit_code, 1);
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["ok"], false);
  EXPECT_EQ(doc["first_bad_seq"], 4);
  EXPECT_EQ(doc["kind"], "modified");
}

TEST_F(ArkmqctlAudit, StatsCountTypesPrincipalsDenialsAndTalkers) {
  const auto result = ctl({"audit", "stats", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto doc = nlohmann::json::parse(result.out);
  EXPECT_EQ(doc["total"], 10);
  EXPECT_EQ(doc["denials"], 2);
  EXPECT_EQ(doc["per_type"][0], (nlohmann::json{{"type", "publish"}, {"count", 3}}));
  std::map<std::string, int> principals;
  for (const auto& entry : doc["per_principal"]) principals[entry["principal"]] = entry["count"];
  EXPECT_EQ(principals["alice"], 4);
  EXPECT_EQ(principals["bob"], 3);
  EXPECT_EQ(principals["mallory\r"], 1);
  ASSERT_GE(doc["top_talkers"].size(), 2U);
  EXPECT_EQ(doc["top_talkers"][0],
            (nlohmann::json{{"principal", "alice"}, {"publishes", 2}, {"bytes", 8}}));
  EXPECT_EQ(doc["top_talkers"][1],
            (nlohmann::json{{"principal", "bob"}, {"publishes", 1}, {"bytes", 5}}));

  const auto since = ctl({"audit", "stats", "--json", "--since", "2026-11-27T18:00:04Z"});
  ASSERT_EQ(since.exit_code, 0) << since.err;
  EXPECT_EQ(nlohmann::json::parse(since.out)["total"], 5);

  const auto text = ctl({"audit", "stats"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("rows:    10\ndenials: 2\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("mallory\\r"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find('\r'), std::string::npos);
}

}  // namespace
}  // namespace arkmq::ctl::test
