// Shared by the `arkmqctl audit` process tests: a sample journal (ten rows with special
// characters, payloads and a publish without one), a fixture that writes it with the real
// storage::AuditJournal into a temp data dir, and output parsers. Test thread only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "storage/audit_journal.hpp"
#include "storage/config_store.hpp"
#include "tools/arkmqctl/ctl_runner.hpp"

namespace arkmq::ctl::test {

inline constexpr std::int64_t kT0 = 1'795'802'400'000'000;  // 2026-11-27T18:00:00Z
inline constexpr std::int64_t kSecond = 1'000'000;
inline const std::string kEvilClient = "evil\x1b[31m\nid\",";
inline const std::string kBinaryPayload("\x00\xff\x1b" "x", 4);

storage::AuditEvent event(std::int64_t time_us, storage::AuditType type,
                          storage::AuditOutcome outcome, std::string client, std::string principal,
                          std::string topic = "", std::string details = "{}");
// A publish from client sensor-1 with details qos/retain/size; no payload when nullopt.
storage::AuditEvent publish(std::int64_t time_us, std::string principal, std::string topic,
                            int qos, bool retain, std::optional<std::string> payload);
// The ten rows every test starts from (seq 1..10); see the table in audit_test_journal.cpp.
std::vector<storage::AuditEvent> sample_rows();

std::vector<std::string> lines_of(const std::string& text);
// Seq numbers of text rows (their second field).
std::vector<int> seqs(const CtlResult& result);
// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

using Seqs = std::vector<int>;

class ArkmqctlAudit : public ::testing::Test, public CtlFixtureBase {
 protected:
  void SetUp() override;
  std::string journal_path() const { return storage::audit_db_path(data_dir()); }
  // Writes `rows` through the real journal (payload capture on) and returns the chain head.
  storage::audit_schema::ChainState append(const std::vector<storage::AuditEvent>& rows) const;
  // `arkmqctl audit query ARGS...` (text), expected to exit 0; the seqs it printed.
  std::vector<int> query_seqs(std::vector<std::string> args) const;
};

}  // namespace arkmq::ctl::test
