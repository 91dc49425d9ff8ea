// 21 audit tools on a journal the real broker wrote: `arkmqctl audit verify` catches modified,
// deleted and swapped rows (tampered with the sqlite3 CLI on a copy), `audit replay` re-creates
// the traffic a subscriber saw, hostile bytes in client ids and topics come out escaped in every
// format, and query filters, stats, follow and $SYS report what the broker journaled.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <functional>
#include <map>
#include <regex>
#include <sstream>

#include "tests/support/audit_helpers.hpp"
#include "tests/support/run_command.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// ---- verify: tampering with a stopped broker's journal, on copies -------------------------------

class AuditTamper : public AuditTest {
 protected:
  void SetUp() override {
    AuditTest::SetUp();
    if (IsSkipped()) return;
    start_audit_broker();
    auto session = login(5, "alice", kAlicePassword);
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(accepted(session->publish("allowed/tamper/" + std::to_string(i), "p", 1)));
    }
    std::vector<AuditRow> rows;
    ASSERT_TRUE(wait_for_audit(data_dir(), {"--type", "publish"},
                               [](const auto& seen) { return seen.size() >= 6; }, &rows))
        << describe(rows);
    session.reset();
    ASSERT_TRUE(broker().stop());
    const AuditQuery all = query_audit(data_dir());
    ASSERT_TRUE(all.ok()) << all.error;
    ASSERT_GE(all.rows.size(), 8u);
    target_ = all.rows[all.rows.size() / 2].seq;  // a row in the middle of the chain
  }

  // Copies the journal to scratch/<name>, runs `sql` on the copy, then `audit verify` on it.
  ArkmqctlResult verify_copy(const std::string& name, const std::string& sql,
                             const std::vector<std::string>& extra = {}) {
    const std::string dir = scratch_.file(name);
    copy_audit_journal(data_dir(), dir);
    if (!sql.empty()) run_sqlite(audit_db_file(dir), sql);
    std::vector<std::string> args{"audit", "verify"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_arkmqctl(dir, args);
  }

  void expect_damaged_at(const ArkmqctlResult& result, std::int64_t seq) {
    EXPECT_EQ(result.code(), 1) << result.describe();
    const std::regex names_seq("seq " + std::to_string(seq) + "([^0-9]|$)");
    EXPECT_TRUE(std::regex_search(result.err + result.out, names_seq))
        << "seq " << seq << " not named:\n" << result.describe();
  }

  std::string seq(std::int64_t value) const { return std::to_string(value); }

  TempDir scratch_{"arkmq-audit-copy"};
  std::int64_t target_ = 0;
};

TEST_F(AuditTamper, IntactJournalVerifies) {
  const ArkmqctlResult result = verify_copy("intact", "");
  EXPECT_EQ(result.code(), 0) << result.describe();
  const ArkmqctlResult in_place = run_arkmqctl(data_dir(), {"audit", "verify"});
  EXPECT_EQ(in_place.code(), 0) << in_place.describe();
}

TEST_F(AuditTamper, ModifiedRowFailsVerifyAtItsSeq) {
  expect_damaged_at(
      verify_copy("modified", "UPDATE events SET topic = topic || 'x' WHERE seq = " +
                                  seq(target_) + ";"),
      target_);
}

TEST_F(AuditTamper, ModifiedDetailsFailVerifyAtItsSeqInJsonToo) {
  const ArkmqctlResult result = verify_copy(
      "details", "UPDATE events SET details = '{}' WHERE seq = " + seq(target_) + ";", {"--json"});
  EXPECT_EQ(result.code(), 1) << result.describe();
  const auto json = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << result.describe();
  EXPECT_EQ(json.value("ok", true), false) << result.out;
  EXPECT_EQ(json.value("first_bad_seq", std::int64_t{0}), target_) << result.out;
}

TEST_F(AuditTamper, DeletedRowFailsVerifyAtItsSeq) {
  expect_damaged_at(verify_copy("deleted", "DELETE FROM events WHERE seq = " + seq(target_) + ";"),
                    target_);
}

TEST_F(AuditTamper, SwappedRowsFailVerifyAtTheFirstOfThem) {
  const std::string a = seq(target_);
  const std::string b = seq(target_ + 1);
  expect_damaged_at(verify_copy("swapped", "UPDATE events SET seq = -1 WHERE seq = " + a +
                                               "; UPDATE events SET seq = " + a +
                                               " WHERE seq = " + b + "; UPDATE events SET seq = " +
                                               b + " WHERE seq = -1;"),
                    target_);
}

// ---- replay ---------------------------------------------------------------------------------------

using Traffic = std::vector<std::pair<std::string, std::string>>;  // (topic, payload)

Traffic traffic_of(const std::vector<wire::PublishView>& messages) {
  Traffic traffic;
  for (const auto& message : messages) traffic.emplace_back(message.topic, message.payload);
  return traffic;
}

class AuditReplay : public AuditTest {};

TEST_F(AuditReplay, ReplayRecreatesTheTrafficASubscriberSaw) {
  start_audit_broker(audit_options(capturing({"allowed/replay/#"})));
  auto watcher = login(5, "admin", kAdminPassword);
  ASSERT_EQ(watcher->subscribe("allowed/replay/#", 1), (std::vector<std::uint8_t>{1}));
  auto publisher = login(5, "alice", kAlicePassword);
  constexpr int kMessages = 20;
  std::string last;
  for (int i = 0; i < kMessages; ++i) {
    last = "replay-" + std::to_string(i) + (i % 2 == 0 ? std::string("\x00\xff", 2) : "-odd");
    ASSERT_TRUE(accepted(publisher->publish("allowed/replay/" + std::to_string(i % 3), last, 1)));
  }
  const auto seen = watcher->receive_until(last, Deadline(10s));
  ASSERT_TRUE(seen.marker_seen);
  const Traffic original = traffic_of(seen.messages);
  ASSERT_EQ(original.size(), static_cast<std::size_t>(kMessages));
  std::vector<AuditRow> rows;
  ASSERT_TRUE(wait_for_audit(data_dir(), {"--type", "publish", "--topic", "allowed/replay/#"},
                             [&](const auto& r) { return r.size() >= kMessages; }, &rows))
      << describe(rows);
  watcher.reset();
  publisher.reset();
  ASSERT_TRUE(broker().stop());

  BrokerProcess target(BrokerOptions{});  // open broker: anonymous, acl_default allow
  UserSession receiver(target.port(), wire::connect_spec(5, unique_client_id("receiver")));
  ASSERT_EQ(receiver.subscribe("allowed/replay/#", 1), (std::vector<std::uint8_t>{1}));
  const ArkmqctlResult replay = run_arkmqctl(
      data_dir(), {"audit", "replay", "--to", "mqtt://127.0.0.1:" + std::to_string(target.port()),
                   "--speed", "0"});
  ASSERT_TRUE(replay.ok()) << replay.describe();
  const auto again = receiver.receive_until(last, Deadline(10s));
  EXPECT_TRUE(again.marker_seen) << "the last message was not replayed";
  EXPECT_EQ(traffic_of(again.messages), original);
}

TEST_F(AuditReplay, ReplayOfRowsWithoutPayloadIsRefusedWithAMessage) {
  start_audit_broker();  // no capture
  auto publisher = login(5, "alice", kAlicePassword);
  ASSERT_TRUE(accepted(publisher->publish("allowed/uncaptured", "x", 1)));
  expect_row({"--type", "publish"}, [](const AuditRow&) { return true; }, "publish row");
  const ArkmqctlResult replay = run_arkmqctl(
      data_dir(), {"audit", "replay", "--to",
                   "mqtt://127.0.0.1:" + std::to_string(broker().port()), "--speed", "0"});
  EXPECT_NE(replay.code(), 0) << replay.describe();
  EXPECT_NE(replay.err.find("payload"), std::string::npos) << replay.describe();
}

// ---- hostile bytes in client ids and topics -------------------------------------------------------

// Controls are valid UTF-8 and reach the broker; a byte 0xff cannot (a CONNECT or PUBLISH with
// it is malformed [MQTT-1.5.4-1]), yet text fields are stored byte for byte, so it is put into a
// copy of the journal with sqlite3 to see how the reader prints it.
class AuditEscaping : public AuditTest {
 protected:
  void SetUp() override {
    AuditTest::SetUp();
    if (IsSkipped()) return;
    start_audit_broker();
    auto session = std::make_unique<UserSession>(
        broker().port(), login_spec(5, kClientId, "alice", kAlicePassword));
    ASSERT_TRUE(accepted(session->publish(kTopic, "x", 1)));
    expect_row({"--type", "publish", "--client", kClientId}, [](const AuditRow&) { return true; },
               "publish with control characters");
    session.reset();
    ASSERT_TRUE(broker().stop());
    copy_ = scratch_.file("data");
    copy_audit_journal(data_dir(), copy_);
    run_sqlite(audit_db_file(copy_),
               "UPDATE events SET client_id = client_id || X'ff', topic = topic || X'ff' "
               "WHERE type = 'publish';");
    const AuditQuery json = query_audit(copy_);
    ASSERT_TRUE(json.ok()) << json.error;
    rows_ = json.rows.size();
    ASSERT_GE(rows_, 3u);
  }

  ArkmqctlResult query(const std::vector<std::string>& format) {
    std::vector<std::string> args{"audit", "query", "--limit", "0"};
    args.insert(args.end(), format.begin(), format.end());
    return run_arkmqctl(copy_, args);
  }

  static constexpr const char* kClientId = "id\n\"\x1b[31m-red";
  static constexpr const char* kTopic = "allowed/esc\n\"\x1b[31m/t";
  TempDir scratch_{"arkmq-audit-esc"};
  std::string copy_;
  std::size_t rows_ = 0;
};

TEST_F(AuditEscaping, TextOutputHasOneLinePerRowAndNoRawControlBytes) {
  const ArkmqctlResult text = query({});
  ASSERT_TRUE(text.ok()) << text.describe();
  EXPECT_EQ(find_control_byte(text.out, "\n"), std::string::npos) << text.out;
  EXPECT_TRUE(is_valid_utf8(text.out)) << "a raw 0xff byte reached the terminal";
  EXPECT_EQ(count_lines(text.out), rows_) << text.out;
  EXPECT_NE(text.out.find("[31m-red"), std::string::npos) << "the client id is missing";
}

TEST_F(AuditEscaping, JsonOutputIsOneValidObjectPerLineWithTheOriginalText) {
  const ArkmqctlResult json = query({"--json"});
  ASSERT_TRUE(json.ok()) << json.describe();
  EXPECT_EQ(find_control_byte(json.out, "\n"), std::string::npos);
  EXPECT_TRUE(is_valid_utf8(json.out));
  EXPECT_EQ(count_lines(json.out), rows_);
  bool login_seen = false;
  bool publish_seen = false;
  std::istringstream lines(json.out);
  for (std::string line; std::getline(lines, line);) {
    const auto value = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(value.is_object()) << "not a JSON object: " << line;
    const std::string client = value.value("client_id", "");
    if (value.value("type", "") == "auth_success" && client == kClientId) login_seen = true;
    if (value.value("type", "") == "publish") {
      // The stored 0xff is shown as a character, the controls survive the round trip.
      EXPECT_EQ(client.rfind(kClientId, 0), 0u) << line;
      EXPECT_GT(client.size(), std::string(kClientId).size()) << line;
      EXPECT_EQ(value.value("topic", "").rfind(kTopic, 0), 0u) << line;
      publish_seen = true;
    }
  }
  EXPECT_TRUE(login_seen) << "no auth_success with the exact client id:\n" << json.out;
  EXPECT_TRUE(publish_seen) << json.out;
}

TEST_F(AuditEscaping, CsvOutputHasOneRecordPerRowAndNoRawControlBytes) {
  const ArkmqctlResult csv = query({"--csv"});
  ASSERT_TRUE(csv.ok()) << csv.describe();
  EXPECT_EQ(find_control_byte(csv.out, "\r\n"), std::string::npos) << csv.out;
  EXPECT_TRUE(is_valid_utf8(csv.out));
  const auto records = parse_csv(csv.out);
  ASSERT_TRUE(records) << "not RFC 4180:\n" << csv.out;
  ASSERT_EQ(records->size(), rows_ + 1) << "header plus one record per row:\n" << csv.out;
  for (const auto& record : *records) {
    EXPECT_EQ(record.size(), records->front().size()) << csv.out;
  }
}

// ---- query filters, stats, follow -----------------------------------------------------------------

class AuditTools : public AuditTest {
 protected:
  // alice: two accepted publishes and a denied one; admin: one publish.
  // Returns once the journal holds every row of this traffic, the two disconnects included, so
  // tests that compare two reads of the journal do not race the writer thread.
  void make_traffic() {
    {
      auto alice = login(5, "alice", kAlicePassword);
      ASSERT_TRUE(accepted(alice->publish("allowed/a", "12345", 1)));
      ASSERT_TRUE(accepted(alice->publish("allowed/b", "678", 1)));
      ASSERT_EQ(alice->publish("secret/x", "9", 1), std::optional<std::uint8_t>(0x87));
      auto admin_session = login(5, "admin", kAdminPassword);
      ASSERT_TRUE(accepted(admin_session->publish("allowed/c", "admin", 1)));
    }
    std::vector<AuditRow> rows;
    ASSERT_TRUE(wait_for_audit(data_dir(), {"--type", "publish", "--type", "acl_denial"},
                               [](const auto& seen) { return seen.size() >= 4; }, &rows))
        << describe(rows);
    ASSERT_TRUE(wait_for_audit(data_dir(), {"--type", "disconnect"},
                               [](const auto& seen) { return seen.size() >= 2; }, &rows))
        << describe(rows);
  }
};

// Every key of the [audit] table, with values that keep the journal complete for the test.
AuditSettings every_audit_key() {
  AuditSettings settings;
  settings.enabled = true;
  settings.extra = "queue_capacity = 1024\noverflow = \"block\"\nmax_age_days = 0\nmax_rows = 0\n";
  return settings;
}

TEST_F(AuditTools, BrokerRefusesAnUnknownPublishesMode) {
  AuditSettings settings;
  settings.publishes = "some";
  try {
    start_store_broker(audit_options(settings));
    ADD_FAILURE() << "publishes = \"some\" was accepted";
  } catch (const std::runtime_error& error) {
    // The broker's one-line config error, naming the key, is in the message.
    EXPECT_NE(std::string(error.what()).find("publishes"), std::string::npos) << error.what();
  }
}

TEST_F(AuditTools, QueryFiltersSelectTheMatchingRowsOnly) {
  start_audit_broker(audit_options(every_audit_key()));
  make_traffic();
  auto rows_of = [&](const std::vector<std::string>& args) {
    AuditQuery query = query_audit(data_dir(), args);
    EXPECT_TRUE(query.ok()) << query.error;
    return query.rows;
  };
  const auto alices = rows_of({"--user", "alice"});
  EXPECT_FALSE(alices.empty());
  for (const auto& row : alices) EXPECT_EQ(row.principal, "alice") << row.line;
  const auto all = rows_of({});
  const auto typed = rows_of({"--type", "publish", "--type", "acl_denial"});
  EXPECT_EQ(typed.size(), static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [](
      const AuditRow& row) { return row.type == "publish" || row.type == "acl_denial"; })))
      << describe(typed);
  for (const auto& row : typed) EXPECT_TRUE(row.type == "publish" || row.type == "acl_denial");
  const auto topics = rows_of({"--topic", "allowed/+", "--type", "publish"});
  EXPECT_EQ(topics.size(), 3u) << describe(topics);
  const auto denied = rows_of({"--outcome", "deny"});
  EXPECT_FALSE(denied.empty());
  for (const auto& row : denied) EXPECT_EQ(row.outcome, "deny") << row.line;
  EXPECT_TRUE(rows_of({"--until", "-1h"}).empty()) << "rows from before the test";
  const ArkmqctlResult limited = run_arkmqctl(data_dir(), {"audit", "query", "--json", "--limit", "2"});
  EXPECT_EQ(count_lines(limited.out), 2u) << limited.describe();
}

TEST_F(AuditTools, StatsCountTypesDenialsAndTopTalkers) {
  start_audit_broker();
  make_traffic();
  const AuditQuery rows = query_audit(data_dir());
  ASSERT_TRUE(rows.ok()) << rows.error;
  std::int64_t publishes = 0, alice_publishes = 0, alice_bytes = 0, denials = 0;
  for (const auto& row : rows.rows) {
    if (row.outcome == "deny") ++denials;
    if (row.type != "publish") continue;
    ++publishes;
    if (row.principal == "alice") {
      ++alice_publishes;
      alice_bytes += std::stoll(row.detail("size"));
    }
  }
  const ArkmqctlResult stats = run_arkmqctl(data_dir(), {"audit", "stats", "--json"});
  ASSERT_TRUE(stats.ok()) << stats.describe();
  const auto json = nlohmann::json::parse(stats.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << stats.out;
  EXPECT_EQ(json.value("total", std::int64_t{0}), static_cast<std::int64_t>(rows.rows.size()))
      << stats.out;
  EXPECT_EQ(json.value("denials", std::int64_t{0}), denials) << stats.out;
  EXPECT_GE(denials, 1);
  std::map<std::string, std::int64_t> per_type;
  for (const auto& entry : json.value("per_type", nlohmann::json::array())) {
    per_type[entry.value("type", "")] = entry.value("count", std::int64_t{0});
  }
  EXPECT_EQ(per_type["publish"], publishes) << stats.out;
  EXPECT_GE(per_type["acl_denial"], 1) << stats.out;
  const auto talkers = json.value("top_talkers", nlohmann::json::array());
  ASSERT_FALSE(talkers.empty()) << stats.out;
  EXPECT_EQ(talkers[0].value("principal", ""), "alice") << stats.out;
  EXPECT_EQ(talkers[0].value("publishes", std::int64_t{0}), alice_publishes) << stats.out;
  EXPECT_EQ(talkers[0].value("bytes", std::int64_t{0}), alice_bytes) << stats.out;
}

TEST_F(AuditTools, FollowPrintsRowsAsTheBrokerCommitsThem) {
  start_audit_broker();
  auto alice = login(5, "alice", kAlicePassword);
  ASSERT_TRUE(accepted(alice->publish("allowed/follow/1", "before", 1)));
  TempDir scratch("arkmq-audit-follow");
  ChildProcess follow({arkmqctl_path(), "--data-dir", data_dir(), "audit", "follow", "--json",
                       "--since", "-1h", "--topic", "allowed/follow/#"},
                      scratch.file("stderr"));
  auto has = [](const std::string& topic) {
    return [topic](const std::string& line) { return line.find(topic) != std::string::npos; };
  };
  EXPECT_TRUE(follow.read_line_until(has("allowed/follow/1"), Deadline(10s)))
      << "history not printed: " << follow.output() << read_file(scratch.file("stderr"));
  ASSERT_TRUE(accepted(alice->publish("allowed/follow/2", "after", 1)));
  const auto line = follow.read_line_until(has("allowed/follow/2"), Deadline(10s));
  ASSERT_TRUE(line) << "new row not followed: " << follow.output();
  EXPECT_TRUE(nlohmann::json::accept(*line)) << *line;
  follow.send_signal(SIGTERM);
  const auto status = follow.wait(Deadline(5s));
  ASSERT_TRUE(status) << "follow ignored SIGTERM";
  EXPECT_EQ(*status, (ExitStatus{true, 0, 0})) << to_string(*status);
}

// $SYS/broker/audit/{queued,written,dropped,lost}: the journal's counters, every sys_interval.
TEST_F(AuditTools, SysTopicsShowTheJournalsCounters) {
  start_audit_broker(audit_options({}, "sys_interval = 1\n"));
  admin().add_rule({"--allow", "--subscribe", "--receive", "--topic", "$SYS/#", "--user", "admin"});
  auto watcher = login(5, "admin", kAdminPassword);
  ASSERT_EQ(watcher->subscribe("$SYS/broker/audit/#", 0), (std::vector<std::uint8_t>{0}));
  std::map<std::string, std::string> seen;
  // The next value of `topic` that satisfies `good`; nullopt after 5 s.
  auto next_value = [&](const std::string& topic, const std::function<bool(std::int64_t)>& good)
      -> std::optional<std::int64_t> {
    const Deadline deadline(5s);
    for (int i = 0; i < 1000 && !deadline.expired(); ++i) {
      const auto message = watcher->next_publish(deadline);
      if (!message) break;
      seen[message->topic] = message->payload;
      if (message->topic == topic && good(std::stoll(message->payload))) {
        return std::stoll(message->payload);
      }
    }
    return std::nullopt;
  };
  const std::string written = "$SYS/broker/audit/written";
  const auto first = next_value(written, [](std::int64_t value) { return value > 0; });
  ASSERT_TRUE(first) << "no " << written << " above 0 within 5 s; audit topics seen: "
                     << seen.size();
  const AuditQuery rows = query_audit(data_dir());
  ASSERT_TRUE(rows.ok()) << rows.error;
  EXPECT_GE(static_cast<std::int64_t>(rows.rows.size()), *first)
      << "the counter says more rows were written than the journal holds";
  auto alice = login(5, "alice", kAlicePassword);
  ASSERT_TRUE(accepted(alice->publish("allowed/sys", "x", 1)));
  EXPECT_TRUE(next_value(written, [&](std::int64_t value) { return value > *first; }))
      << written << " did not grow after more traffic";
  EXPECT_EQ(seen["$SYS/broker/audit/dropped"], "0");
  EXPECT_EQ(seen["$SYS/broker/audit/lost"], "0");
}

}  // namespace
}  // namespace arkmq::test
