// The sample journal and parsers of the arkmqctl audit process tests.
//
// seq time(18:00+) type          outcome client           principal topic
//  1  00   connection_accepted  allow  sensor-1         -         -
//  2  01   auth_success         allow  sensor-1         alice     -
//  3  02   publish qos 1        allow  sensor-1         alice     plant/1/temp      "21.5"
//  4  02.5 publish qos 0 retain allow  sensor-1         alice     plant/2/temp      00 ff 1b 'x'
//  5  03   auth_failure         deny   evil ESC[31m LF  mallory CR -  (reason has ESC[2J)
//  6  04   acl_denial           deny   c-2              bob       secret/x
//  7  05   publish              allow  c-2              bob       plant/3/humidity  (no payload)
//  8  06   subscribe            allow  c-2              bob       plant/+/temp
//  9  07   subscribe            allow  ff fe "-raw"     -         living room/#
// 10  08   disconnect           error  sensor-1         alice     -
#include "tools/arkmqctl/audit_test_journal.hpp"

#include <filesystem>
#include <sstream>

namespace arkmq::ctl::test {

using storage::AuditEvent;
using storage::AuditOutcome;
using storage::AuditType;

namespace {

std::vector<std::byte> to_bytes(const std::string& text) {
  std::vector<std::byte> out;
  for (const char c : text) out.push_back(static_cast<std::byte>(c));
  return out;
}

}  // namespace

AuditEvent event(std::int64_t time_us, AuditType type, AuditOutcome outcome, std::string client,
                 std::string principal, std::string topic, std::string details) {
  AuditEvent e;
  e.time_us = time_us;
  e.type = type;
  e.outcome = outcome;
  e.client_id = std::move(client);
  e.principal = std::move(principal);
  e.peer = "127.0.0.1:50000";
  e.listener = "tcp";
  e.topic = std::move(topic);
  e.details = std::move(details);
  return e;
}

AuditEvent publish(std::int64_t time_us, std::string principal, std::string topic, int qos,
                   bool retain, std::optional<std::string> payload) {
  const std::size_t size = payload ? payload->size() : 5;
  AuditEvent e = event(time_us, AuditType::publish, AuditOutcome::allow, "sensor-1",
                       std::move(principal), std::move(topic),
                       storage::AuditDetails()
                           .add("qos", qos)
                           .add("retain", retain)
                           .add("size", static_cast<std::int64_t>(size))
                           .str());
  if (payload) e.payload = to_bytes(*payload);
  return e;
}

std::vector<AuditEvent> sample_rows() {
  using storage::AuditDetails;
  return {
      event(kT0, AuditType::connection_accepted, AuditOutcome::allow, "sensor-1", ""),
      event(kT0 + kSecond, AuditType::auth_success, AuditOutcome::allow, "sensor-1", "alice"),
      publish(kT0 + 2 * kSecond, "alice", "plant/1/temp", 1, false, "21.5"),
      publish(kT0 + 2 * kSecond + kSecond / 2, "alice", "plant/2/temp", 0, true, kBinaryPayload),
      event(kT0 + 3 * kSecond, AuditType::auth_failure, AuditOutcome::deny, kEvilClient,
            "mallory\r", "",
            AuditDetails().add("reason", "bad \"password\"\n\x1b[2J").str()),
      event(kT0 + 4 * kSecond, AuditType::acl_denial, AuditOutcome::deny, "c-2", "bob",
            "secret/x"),
      [] {
        auto e = publish(kT0 + 5 * kSecond, "bob", "plant/3/humidity", 0, false, std::nullopt);
        e.client_id = "c-2";
        return e;
      }(),
      event(kT0 + 6 * kSecond, AuditType::subscribe, AuditOutcome::allow, "c-2", "bob",
            "plant/+/temp"),
      event(kT0 + 7 * kSecond, AuditType::subscribe, AuditOutcome::allow, "\xff\xfe-raw", "",
            "living room/#"),
      event(kT0 + 8 * kSecond, AuditType::disconnect, AuditOutcome::error, "sensor-1", "alice",
            "", AuditDetails().add("reason", "keep alive timeout").str()),
  };
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<int> seqs(const CtlResult& result) {
  std::vector<int> out;
  for (const auto& line : lines_of(result.out)) {
    std::istringstream fields(line);
    std::string time;
    int seq = 0;
    fields >> time >> seq;
    out.push_back(seq);
  }
  return out;
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
    } else if (c == '\n') {
      record.push_back(field);
      field.clear();
      records.push_back(record);
      record.clear();
    } else {
      field += c;
    }
  }
  return records;
}

void ArkmqctlAudit::SetUp() {
  std::filesystem::create_directories(data_dir());
  append(sample_rows());
}

storage::audit_schema::ChainState ArkmqctlAudit::append(const std::vector<AuditEvent>& rows) const {
  storage::AuditJournalOptions options;
  options.capture_payloads = true;
  auto journal = storage::AuditJournal::open(journal_path(), options);
  EXPECT_TRUE(journal) << (journal ? "" : journal.error().message);
  if (!journal) return {};
  for (const auto& row : rows) EXPECT_EQ(journal->submit(row), storage::AuditSubmit::queued);
  auto flushed = journal->flush();
  EXPECT_TRUE(flushed) << (flushed ? "" : flushed.error().message);
  auto head = journal->head();
  journal->close();
  return head;
}

std::vector<int> ArkmqctlAudit::query_seqs(std::vector<std::string> args) const {
  args.insert(args.begin(), {"audit", "query"});
  const auto result = ctl(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return seqs(result);
}

}  // namespace arkmq::ctl::test
