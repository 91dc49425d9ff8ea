// Helpers for the audit journal tests: sample events, a journal written and closed, and a second
// SQLite connection to tamper with the file. Owned by the audit engineer; tests only.
#pragma once

#include <cstdint>
#include <string>

#include "storage/audit_event.hpp"
#include "storage/audit_journal.hpp"
#include "storage/sqlite.hpp"

namespace arkmq::storage::test {

// Event `i`: a publish from one of three principals, every field set and distinct per i.
AuditEvent sample_event(int i, AuditType type = AuditType::publish);

// Opens `path`, submits sample events 1..count, flushes and closes. Fails the test on error.
void write_sample_journal(const std::string& path, int count, AuditJournalOptions options = {});

// A plain read-write connection to the journal file, as an attacker with write access has.
Database open_raw(const std::string& path);
void exec_raw(const std::string& path, const std::string& sql);

}  // namespace arkmq::storage::test
