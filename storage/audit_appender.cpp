// Appends hash-chained audit rows and prunes by retention (see audit_appender.hpp).
// Owned by the audit engineer. Runs on the journal's writer thread only.
#include "storage/audit_appender.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <string_view>

// Returns the error of a Result<void>-returning call from the enclosing function.
#define ARKMQ_TRY(expr)                                      \
  do {                                                       \
    if (auto try_result_ = (expr); !try_result_) {           \
      return tl::unexpected(std::move(try_result_).error()); \
    }                                                        \
  } while (false)

namespace arkmq::storage {
namespace {

using audit_schema::ChainState;

std::span<const std::byte> bytes_of(const AuditHash& hash) { return std::as_bytes(std::span(hash)); }

}  // namespace

Result<AuditAppender> AuditAppender::open(const std::string& path) {
  auto db = audit_schema::open_for_writing(path);
  if (!db) return tl::unexpected(db.error());
  AuditAppender appender(std::move(*db));
  ARKMQ_TRY(appender.prepare());
  auto state = audit_schema::read_chain_state(appender.db_);
  if (!state) return tl::unexpected(state.error());
  appender.state_ = *state;
  return appender;
}

Result<void> AuditAppender::prepare() {
  const std::string insert_sql = std::string("INSERT INTO events (") + audit_schema::kEventColumns +
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
  auto insert = db_.prepare(insert_sql);
  if (!insert) return tl::unexpected(insert.error());
  insert_ = std::move(*insert);
  auto head = db_.prepare("UPDATE chain_head SET last_seq = ?1, last_hash = ?2 WHERE id = 1");
  if (!head) return tl::unexpected(head.error());
  update_head_ = std::move(*head);
  auto anchor = db_.prepare("SELECT first_seq, prev_hash FROM anchor WHERE id = 1");
  if (!anchor) return tl::unexpected(anchor.error());
  select_anchor_ = std::move(*anchor);
  auto last = db_.prepare("SELECT last_seq, last_hash FROM chain_head WHERE id = 1");
  if (!last) return tl::unexpected(last.error());
  select_head_ = std::move(*last);
  return {};
}

Result<ChainState> AuditAppender::read_chain() {
  ChainState chain;
  // One row each; `what` names the table in the error. Reset before returning, so no statement
  // is left open when the transaction commits.
  const auto read = [this](Statement& s, const char* what, std::int64_t& seq,
                           AuditHash& hash) -> Result<void> {
    s.reset();
    auto row = s.step();
    if (!row) return tl::unexpected(row.error());
    const auto blob = *row ? s.column_blob(1) : std::vector<std::byte>{};
    if (*row) seq = s.column_int64(0);
    s.reset();
    if (!*row) {
      return tl::unexpected(make_error(Error::Kind::corrupt, db_.path(), "audit journal",
                                       std::string("the ") + what + " row is missing"));
    }
    hash = AuditHash{};  // as read_chain_state: a short blob leaves zeros (verify reports it)
    std::memcpy(hash.data(), blob.data(), std::min(blob.size(), hash.size()));
    return {};
  };
  ARKMQ_TRY(read(*select_anchor_, "anchor", chain.first_seq, chain.anchor_hash));
  ARKMQ_TRY(read(*select_head_, "chain_head", chain.last_seq, chain.last_hash));
  return chain;
}

Result<void> AuditAppender::insert(ChainState& chain, const AuditEvent& e) {
  const std::int64_t seq = chain.last_seq + 1;
  const AuditHash hash = hasher_.hash(chain.last_hash, seq, e);
  Statement& s = *insert_;
  s.reset();
  ARKMQ_TRY(s.bind_int64(1, seq));
  ARKMQ_TRY(s.bind_int64(2, e.time_us));
  // Text is bound without SQLite's copy (SQLITE_STATIC): `e` outlives the step below, and the
  // copies were a measurable share of the writer's time.
  const std::string_view texts[] = {to_string(e.type), to_string(e.outcome), e.client_id,
                                    e.principal,       e.peer,               e.listener,
                                    e.topic,           e.details};
  int index = 3;
  for (std::string_view text : texts) {
    const int rc = sqlite3_bind_text64(s.handle(), index++, text.empty() ? "" : text.data(),
                                       text.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (rc != SQLITE_OK) return tl::unexpected(db_.last_error("bind"));
  }
  if (e.payload) {
    ARKMQ_TRY(s.bind_blob(11, *e.payload));
  } else {
    ARKMQ_TRY(s.bind_null(11));
  }
  ARKMQ_TRY(s.bind_blob(12, bytes_of(hash)));
  ARKMQ_TRY(s.run());
  chain.last_seq = seq;
  chain.last_hash = hash;
  return {};
}

Result<void> AuditAppender::store_head(const ChainState& chain) {
  Statement& s = *update_head_;
  s.reset();
  ARKMQ_TRY(s.bind_int64(1, chain.last_seq));
  ARKMQ_TRY(s.bind_blob(2, bytes_of(chain.last_hash)));
  ARKMQ_TRY(s.run());
  if (db_.changes() != 1) {
    return tl::unexpected(make_error(Error::Kind::corrupt, db_.path(), "audit journal",
                                     "the chain_head row is missing"));
  }
  return {};
}

Result<void> AuditAppender::append(std::span<const AuditEvent> events, const DropCounts& drops) {
  auto tx = Transaction::begin(db_, Transaction::Kind::immediate);
  if (!tx) return tl::unexpected(tx.error());
  auto chain = read_chain();
  if (!chain) return tl::unexpected(chain.error());
  for (const AuditEvent& event : events) ARKMQ_TRY(insert(*chain, event));
  if (drops.any()) {
    AuditEvent row;
    row.time_us = audit_now_us();
    row.type = AuditType::journal_drop;
    row.outcome = AuditOutcome::error;
    AuditDetails details;
    details.add("dropped", drops.dropped);
    if (drops.lost != 0) details.add("lost", drops.lost);
    row.details = details.str();
    ARKMQ_TRY(insert(*chain, row));
  }
  ARKMQ_TRY(store_head(*chain));
  ARKMQ_TRY(tx->commit());
  state_ = *chain;
  return {};
}

Result<std::int64_t> AuditAppender::prune_cutoff(const AuditRetention& policy, std::int64_t now_us,
                                                 const ChainState& chain) {
  std::int64_t cutoff = chain.first_seq;
  const std::int64_t rows = chain.last_seq - chain.first_seq + 1;
  if (policy.max_rows) {
    // The retention row written after pruning is one of the rows kept.
    const std::int64_t keep = std::max<std::int64_t>(2, *policy.max_rows);
    if (rows > keep) cutoff = std::max(cutoff, chain.last_seq + 2 - keep);
  }
  if (policy.max_age) {
    const std::int64_t threshold =
        now_us - std::chrono::duration_cast<std::chrono::microseconds>(*policy.max_age).count();
    // Rows are kept as one contiguous run of seq: everything up to the newest old row goes, so
    // a row written a little late by a slow worker does not hold back pruning.
    auto stmt = db_.prepare("SELECT max(seq) FROM events WHERE time_us < ?1");
    if (!stmt) return tl::unexpected(stmt.error());
    ARKMQ_TRY(stmt->bind_int64(1, threshold));
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (*row && !stmt->column_is_null(0)) cutoff = std::max(cutoff, stmt->column_int64(0) + 1);
  }
  if (policy.max_bytes && rows > 0) {
    auto pages = db_.query_int64("PRAGMA page_count");
    auto free_pages = db_.query_int64("PRAGMA freelist_count");
    auto page_size = db_.query_int64("PRAGMA page_size");
    if (!pages) return tl::unexpected(pages.error());
    if (!free_pages) return tl::unexpected(free_pages.error());
    if (!page_size) return tl::unexpected(page_size.error());
    const std::int64_t used = (*pages - *free_pages) * *page_size;
    if (used > *policy.max_bytes) {
      // Rows are of similar size: remove the same share of rows as the excess share of bytes,
      // down to 90% of the limit so the next round does not prune again at once.
      const std::int64_t target = *policy.max_bytes / 10 * 9;
      const double share = static_cast<double>(used - target) / static_cast<double>(used);
      const auto remove = static_cast<std::int64_t>(share * static_cast<double>(rows)) + 1;
      cutoff = std::max(cutoff, chain.first_seq + remove);
    }
  }
  return std::min(cutoff, chain.last_seq + 1);
}

Result<PruneResult> AuditAppender::prune(const AuditRetention& policy, std::int64_t now_us) {
  auto tx = Transaction::begin(db_, Transaction::Kind::immediate);
  if (!tx) return tl::unexpected(tx.error());
  auto chain = read_chain();
  if (!chain) return tl::unexpected(chain.error());
  auto cutoff = prune_cutoff(policy, now_us, *chain);
  if (!cutoff) return tl::unexpected(cutoff.error());
  const std::int64_t old_first = chain->first_seq;
  if (*cutoff <= old_first) return PruneResult{0, old_first};

  // The new anchor is the hash of the last row removed, so the kept rows still chain from it.
  AuditHash anchor = chain->last_hash;
  if (*cutoff - 1 != chain->last_seq) {
    auto stmt = db_.prepare("SELECT hash FROM events WHERE seq = ?1");
    if (!stmt) return tl::unexpected(stmt.error());
    ARKMQ_TRY(stmt->bind_int64(1, *cutoff - 1));
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    const auto blob = *row ? stmt->column_blob(0) : std::vector<std::byte>{};
    if (blob.size() != anchor.size()) {
      return tl::unexpected(make_error(
          Error::Kind::corrupt, db_.path(), "audit retention",
          "row " + std::to_string(*cutoff - 1) + " is missing; run `arkmqctl audit verify`"));
    }
    std::memcpy(anchor.data(), blob.data(), anchor.size());
  }
  auto del = db_.prepare("DELETE FROM events WHERE seq < ?1");
  if (!del) return tl::unexpected(del.error());
  ARKMQ_TRY(del->bind_int64(1, *cutoff));
  ARKMQ_TRY(del->run());
  const std::int64_t pruned = db_.changes();
  auto move = db_.prepare("UPDATE anchor SET first_seq = ?1, prev_hash = ?2 WHERE id = 1");
  if (!move) return tl::unexpected(move.error());
  ARKMQ_TRY(move->bind_int64(1, *cutoff));
  ARKMQ_TRY(move->bind_blob(2, bytes_of(anchor)));
  ARKMQ_TRY(move->run());
  chain->first_seq = *cutoff;
  chain->anchor_hash = anchor;

  AuditEvent row;
  row.time_us = audit_now_us();
  row.type = AuditType::retention;
  row.outcome = AuditOutcome::allow;
  row.details = AuditDetails()
                    .add("pruned", pruned)
                    .add("from_seq", old_first)
                    .add("first_seq", *cutoff)
                    .add("anchor_hash", to_hex(anchor))
                    .str();
  ARKMQ_TRY(insert(*chain, row));
  ARKMQ_TRY(store_head(*chain));
  ARKMQ_TRY(tx->commit());
  state_ = *chain;
  // Outside the transaction: gives the freed pages back (auto_vacuum=INCREMENTAL). Best effort.
  (void)db_.exec("PRAGMA incremental_vacuum");
  return PruneResult{pruned, *cutoff};
}

}  // namespace arkmq::storage

#undef ARKMQ_TRY
