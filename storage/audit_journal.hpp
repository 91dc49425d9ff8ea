// The audit journal writer: a bounded queue any broker thread submits to, and one writer thread
// that commits batches to <data_dir>/audit.db. Owned by the audit engineer; submit(), flush(),
// stats() and head() are thread-safe; open/close/move belong to the owning (app) thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "storage/audit_appender.hpp"
#include "storage/audit_event.hpp"
#include "storage/audit_schema.hpp"

namespace arkmq::storage {

enum class AuditSubmit {
  queued,   // will be committed (flush() waits for it)
  dropped,  // the queue was full; counted in stats().dropped and in a later journal_drop row
  closed,   // the journal is closed; not counted
};

// What the broker's pipeline talks to (step 7 of "the life of a PUBLISH"): enqueue and return.
// Tests use a recording fake; the broker an AuditJournal.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual AuditSubmit submit(AuditEvent event) = 0;
};

enum class OverflowPolicy {
  drop_and_count,  // submit() returns dropped at once; never blocks the caller
  block,           // submit() waits for space (back-pressure on the submitting worker)
};

struct AuditJournalOptions {
  std::size_t capacity = 65536;  // queued events, ordinary and security alike
  // Extra places only security events (is_security_event) may take once `capacity` is reached.
  std::size_t security_reserve = 16384;
  OverflowPolicy overflow = OverflowPolicy::drop_and_count;  // ordinary events, queue full
  OverflowPolicy security_overflow = OverflowPolicy::block;  // security events, reserve full
  std::size_t batch_max = 4096;                    // events per transaction at most
  std::chrono::milliseconds batch_interval{5};     // how long a partial batch waits for more
  bool capture_payloads = false;                   // off: submit() discards event.payload
  AuditRetention retention;                        // nothing is pruned by default
};

struct AuditJournalStats {
  std::uint64_t queued = 0;        // waiting in the queue now
  std::uint64_t written = 0;       // events committed (journal_drop/retention rows not counted)
  std::uint64_t dropped = 0;       // refused by a full queue since open
  std::uint64_t lost = 0;          // accepted, then lost with a failed transaction
  std::uint64_t batches = 0;       // committed transactions
  std::uint64_t write_errors = 0;  // failed transactions (the message is in flush()'s error)
  std::uint64_t pruned = 0;        // rows removed by retention since open
};

class AuditJournal final : public AuditSink {
 public:
  // Opens (creating 0600, WAL) or migrates the journal and starts the writer thread. Fails like
  // audit_schema::open_for_writing: not SQLite, newer schema, not an audit journal.
  static Result<AuditJournal> open(const std::string& path, AuditJournalOptions options = {});

  AuditJournal(AuditJournal&&) noexcept;
  AuditJournal& operator=(AuditJournal&&) noexcept;
  ~AuditJournal() override;  // close()

  // Never blocks for ordinary events under drop_and_count; see OverflowPolicy otherwise.
  // An event with time_us == 0 is stamped with audit_now_us().
  AuditSubmit submit(AuditEvent event) override;

  // Waits until every event submitted before the call, and the journal_drop row for drops
  // before the call, are committed. Fails with the writer's error when a transaction failed
  // meanwhile, or with Kind::invalid once closed.
  Result<void> flush();

  // Runs retention now on the writer thread (instead of waiting for retention.interval) and
  // waits for the result. With no limit set this prunes nothing.
  Result<PruneResult> prune_now();

  // Drains the queue, commits, stops the writer thread. Submitters blocked on a full queue
  // return closed. Idempotent.
  void close();

  AuditJournalStats stats() const;
  // The chain after the last commit: `arkmqctl audit verify` prints last_hash so it can be
  // stored elsewhere as an external anchor.
  audit_schema::ChainState head() const;

 private:
  struct Impl;
  explicit AuditJournal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace arkmq::storage
