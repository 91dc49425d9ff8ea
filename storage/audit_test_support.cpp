// Helpers for the audit journal tests (see audit_test_support.hpp).
// Owned by the audit engineer.
#include "storage/audit_test_support.hpp"

#include <gtest/gtest.h>

namespace arkmq::storage::test {

AuditEvent sample_event(int i, AuditType type) {
  static const char* const kPrincipals[] = {"alice", "bob", "carol"};
  AuditEvent e;
  e.time_us = 1'700'000'000'000'000 + i;
  e.type = type;
  e.outcome = i % 5 == 0 ? AuditOutcome::deny : AuditOutcome::allow;
  e.client_id = "client-" + std::to_string(i % 7);
  e.principal = kPrincipals[i % 3];
  e.peer = "127.0.0.1:" + std::to_string(40000 + i);
  e.listener = "tcp";
  e.topic = "plant/" + std::to_string(i % 4) + "/temp";
  e.details = AuditDetails().add("qos", i % 3).add("retain", false).add("size", 10 + i).str();
  return e;
}

void write_sample_journal(const std::string& path, int count, AuditJournalOptions options) {
  auto journal = AuditJournal::open(path, std::move(options));
  ASSERT_TRUE(journal) << journal.error().message;
  for (int i = 1; i <= count; ++i) {
    ASSERT_EQ(journal->submit(sample_event(i)), AuditSubmit::queued);
  }
  auto flushed = journal->flush();
  ASSERT_TRUE(flushed) << flushed.error().message;
  journal->close();
}

Database open_raw(const std::string& path) {
  OpenOptions options;
  options.access = OpenOptions::Access::read_write_create;
  auto db = Database::open(path, options);
  if (!db) {
    ADD_FAILURE() << db.error().message;
    std::abort();
  }
  return std::move(*db);
}

void exec_raw(const std::string& path, const std::string& sql) {
  Database db = open_raw(path);
  auto r = db.exec(sql);
  ASSERT_TRUE(r) << sql << ": " << r.error().message;
}

}  // namespace arkmq::storage::test
