// The journal's SQL side: appends hash-chained rows in one transaction and prunes by retention.
// Owned by the audit engineer. Internal to AuditJournal; used only by its writer thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "storage/audit_event.hpp"
#include "storage/audit_schema.hpp"
#include "storage/sqlite.hpp"

namespace arkmq::storage {

// Any combination; a row goes when any limit says so. Pruning always removes the oldest rows.
struct AuditRetention {
  std::optional<std::chrono::seconds> max_age;
  std::optional<std::int64_t> max_rows;   // at least 2 (the retention row itself counts)
  std::optional<std::int64_t> max_bytes;  // database pages in use x page size; approximate
  std::chrono::milliseconds interval{std::chrono::minutes(1)};  // how often the writer prunes

  bool enabled() const { return max_age || max_rows || max_bytes; }
};

struct PruneResult {
  std::int64_t pruned = 0;     // rows deleted
  std::int64_t first_seq = 0;  // the anchor after pruning
};

// What the journal itself reports in a journal_drop row.
struct DropCounts {
  std::uint64_t dropped = 0;  // refused by a full queue
  std::uint64_t lost = 0;     // in a batch whose transaction failed
  bool any() const { return dropped != 0 || lost != 0; }
};

class AuditAppender {
 public:
  static Result<AuditAppender> open(const std::string& path);

  // One IMMEDIATE transaction: the events, then a journal_drop row when `drops` has any, then
  // chain_head. The chain is read from chain_head inside the transaction, so a second writer on
  // the same file (which should not happen) cannot fork it. On failure nothing was written.
  Result<void> append(std::span<const AuditEvent> events, const DropCounts& drops);

  // Deletes the oldest rows beyond `policy`, moves the anchor to the first kept row and appends a
  // retention row, in one transaction; then returns freed pages to the file system.
  Result<PruneResult> prune(const AuditRetention& policy, std::int64_t now_us);

  // The chain as of the last successful commit.
  const audit_schema::ChainState& state() const { return state_; }

 private:
  explicit AuditAppender(Database db) : db_(std::move(db)) {}
  Result<void> prepare();
  Result<void> insert(audit_schema::ChainState& chain, const AuditEvent& event);
  Result<void> store_head(const audit_schema::ChainState& chain);
  // audit_schema::read_chain_state with statements prepared once: a busy journal commits a
  // batch every few milliseconds, and preparing two statements each time was a tenth of it.
  Result<audit_schema::ChainState> read_chain();
  Result<std::int64_t> prune_cutoff(const AuditRetention& policy, std::int64_t now_us,
                                    const audit_schema::ChainState& chain);

  Database db_;  // declared first: destroyed after the statements prepared from it
  std::optional<Statement> insert_;
  std::optional<Statement> update_head_;
  std::optional<Statement> select_anchor_;
  std::optional<Statement> select_head_;
  audit_schema::RowHasher hasher_;
  audit_schema::ChainState state_;
};

}  // namespace arkmq::storage
