// Copies arkmqctl's changes (the configuration database's admin_changes log) into the audit
// journal as admin_change rows, each exactly once, across restarts. Main thread only (the
// ConfigStore's connection belongs to it); the sink is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/audit_journal.hpp"
#include "storage/config_store.hpp"

namespace arkmq::app {

class AdminChangeForwarder {
 public:
  // `after_id`: the last change already in the journal (last_journaled_admin_change).
  AdminChangeForwarder(storage::ConfigStore& store, storage::AuditSink& sink, std::int64_t after_id);

  // Journals every change committed since the last call, oldest first; returns how many. A
  // failing read is logged (once until it recovers) and retried on the next call.
  std::size_t forward();

  std::int64_t last_id() const { return last_id_; }

 private:
  storage::ConfigStore& store_;
  storage::AuditSink& sink_;
  std::int64_t last_id_;
  bool failing_ = false;
};

// The admin_change row for one change: actor, command, change (the change's details JSON) and
// admin_id (its id in the configuration database, so a restart knows where to continue).
storage::AuditEvent admin_change_event(const storage::AdminChange& change);

// Where forwarding continues after a restart, read from the journal at `journal_path`: the
// largest "admin_id" of its admin_change rows. With none (a new journal, or retention pruned
// them all) it is the last change older than the journal's first row (0 for an empty journal),
// so changes made before the journal existed or already pruned are not journaled again.
storage::Result<std::int64_t> last_journaled_admin_change(const std::string& journal_path,
                                                          const storage::ConfigStore& store);

}  // namespace arkmq::app
