// AuditReader::verify: walks the hash chain from the anchor to chain_head and names the first
// row that does not fit, and how. Owned by the audit engineer.
#include <algorithm>
#include <optional>
#include <string>

#include "storage/audit_reader.hpp"

namespace arkmq::storage {
namespace {

using audit_schema::ChainState;
using audit_schema::RowHasher;
using audit_schema::StoredRow;

bool same_hash(const std::vector<std::byte>& stored, const AuditHash& computed) {
  return stored.size() == computed.size() &&
         std::equal(computed.begin(), computed.end(), stored.begin(),
                    [](std::uint8_t a, std::byte b) { return a == std::to_integer<std::uint8_t>(b); });
}

AuditHash as_hash(const std::vector<std::byte>& stored) {
  AuditHash hash{};
  for (std::size_t i = 0; i < hash.size() && i < stored.size(); ++i) {
    hash[i] = std::to_integer<std::uint8_t>(stored[i]);
  }
  return hash;
}

StoredRow with_seq(StoredRow row, std::int64_t seq) {
  row.seq = seq;
  return row;
}

VerifyReport failure(VerifyFailure kind, std::int64_t seq, std::string message) {
  VerifyReport report;
  report.ok = false;
  report.kind = kind;
  report.first_bad_seq = seq;
  report.message = std::move(message);
  return report;
}

// Reads the row at `seq`, if there is one.
Result<std::optional<StoredRow>> row_at(Database& db, std::int64_t seq) {
  auto stmt = db.prepare(std::string("SELECT ") + audit_schema::kEventColumns +
                         " FROM events WHERE seq = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  if (auto r = stmt->bind_int64(1, seq); !r) return tl::unexpected(r.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<StoredRow>{};
  return std::optional<StoredRow>{audit_schema::read_stored_row(*stmt)};
}

// The row at bad.seq does not hash to its stored hash; `prev` is the hash it should chain from.
// Tells a row moved in from elsewhere (reordered, inserted) from one edited in place.
Result<VerifyReport> classify(Database& db, RowHasher& hasher, const AuditHash& prev,
                              const StoredRow& bad, const ChainState& chain) {
  const std::int64_t k = bad.seq;
  const std::string at = "row " + std::to_string(k);
  auto next = row_at(db, k + 1);
  if (!next) return tl::unexpected(next.error());
  // The next row's content belongs here: either the two were swapped, or a forged row was pushed
  // in at k and the rest renumbered.
  if (*next && same_hash((*next)->hash, hasher.hash(prev, with_seq(**next, k)))) {
    if (same_hash(bad.hash, hasher.hash(as_hash((*next)->hash), with_seq(bad, k + 1)))) {
      return failure(VerifyFailure::reordered, k,
                     at + " and row " + std::to_string(k + 1) + " were swapped");
    }
    return failure(VerifyFailure::inserted, k,
                   at + " was inserted: the original row " + std::to_string(k) +
                       " now follows it");
  }
  // Some other row's content (with or without its hash) is here, or this content is there.
  auto stmt = db.prepare(std::string("SELECT ") + audit_schema::kEventColumns +
                         " FROM events WHERE seq >= ? ORDER BY seq");
  if (!stmt) return tl::unexpected(stmt.error());
  if (auto r = stmt->bind_int64(1, chain.first_seq); !r) return tl::unexpected(r.error());
  std::optional<AuditHash> before;  // stored hash of the row before the current one
  std::int64_t before_seq = chain.first_seq - 1;
  before = chain.anchor_hash;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    StoredRow other = audit_schema::read_stored_row(*stmt);
    const bool chained = before && before_seq == other.seq - 1;
    if (other.seq != k) {
      const bool here_belongs_there =
          chained && [&] {
            const AuditHash h = hasher.hash(*before, with_seq(bad, other.seq));
            return same_hash(bad.hash, h) || same_hash(other.hash, h);
          }();
      const bool there_belongs_here = same_hash(bad.hash, hasher.hash(prev, with_seq(other, k)));
      if (here_belongs_there || there_belongs_here) {
        return failure(VerifyFailure::reordered, k,
                       at + " holds the content of row " + std::to_string(other.seq) +
                           " (rows reordered)");
      }
    }
    before = as_hash(other.hash);
    before_seq = other.seq;
  }
  return failure(VerifyFailure::modified, k,
                 at + " was modified: its content does not match its hash");
}

}  // namespace

std::string_view to_string(VerifyFailure failure) {
  switch (failure) {
    case VerifyFailure::none: return "none";
    case VerifyFailure::modified: return "modified";
    case VerifyFailure::deleted: return "deleted";
    case VerifyFailure::reordered: return "reordered";
    case VerifyFailure::inserted: return "inserted";
    case VerifyFailure::truncated: return "truncated";
    case VerifyFailure::head_mismatch: return "head_mismatch";
    case VerifyFailure::structure: return "structure";
  }
  return "unknown";
}

Result<VerifyReport> AuditReader::verify() {
  auto tx = Transaction::begin(db_);  // one snapshot: rows, anchor and head agree
  if (!tx) return tl::unexpected(tx.error());
  auto chain = audit_schema::read_chain_state(db_);
  if (!chain) {
    if (chain.error().kind != Error::Kind::corrupt) return tl::unexpected(chain.error());
    return failure(VerifyFailure::structure, 0, chain.error().message);
  }
  std::int64_t checked = 0;
  auto result = [&]() -> Result<VerifyReport> {
    RowHasher hasher;
    auto stmt = db_.prepare(std::string("SELECT ") + audit_schema::kEventColumns +
                            " FROM events ORDER BY seq");
    if (!stmt) return tl::unexpected(stmt.error());
    std::int64_t expected = chain->first_seq;
    AuditHash prev = chain->anchor_hash;
    for (;;) {
      auto step = stmt->step();
      if (!step) return tl::unexpected(step.error());
      if (!*step) break;
      StoredRow row = audit_schema::read_stored_row(*stmt);
      const std::string at = "row " + std::to_string(row.seq);
      if (row.seq < chain->first_seq) {
        return failure(VerifyFailure::inserted, row.seq,
                       at + " was inserted before the anchor (first kept row " +
                           std::to_string(chain->first_seq) + ")");
      }
      if (row.seq > expected) {
        if (expected <= chain->last_seq) {
          return failure(VerifyFailure::deleted, expected,
                         "row " + std::to_string(expected) + " was deleted (the next row is " +
                             std::to_string(row.seq) + ")");
        }
        return failure(VerifyFailure::inserted, row.seq,
                       at + " was inserted after the chain head (last row " +
                           std::to_string(chain->last_seq) + ")");
      }
      if (row.seq > chain->last_seq) {
        return failure(VerifyFailure::inserted, row.seq,
                       at + " was inserted after the chain head (last row " +
                           std::to_string(chain->last_seq) + ")");
      }
      if (!same_hash(row.hash, hasher.hash(prev, row))) {
        return classify(db_, hasher, prev, row, *chain);
      }
      prev = as_hash(row.hash);
      ++expected;
      ++checked;
    }
    const std::int64_t last = expected - 1;
    if (last < chain->last_seq) {
      return failure(VerifyFailure::truncated, expected,
                     "rows " + std::to_string(expected) + ".." + std::to_string(chain->last_seq) +
                         " are missing at the end (truncated)");
    }
    if (last > chain->last_seq) {
      return failure(VerifyFailure::inserted, chain->last_seq + 1,
                     "row " + std::to_string(chain->last_seq + 1) +
                         " was inserted after the chain head");
    }
    if (prev != chain->last_hash) {
      return failure(VerifyFailure::head_mismatch, last,
                     "the rows chain, but the last hash differs from chain_head (rewritten)");
    }
    VerifyReport ok;
    ok.ok = true;
    ok.message = std::to_string(checked) + " rows verified, seq " +
                 std::to_string(chain->first_seq) + ".." + std::to_string(chain->last_seq);
    return ok;
  }();
  if (result) {
    result->chain = *chain;
    result->rows_checked = checked;
  }
  return result;
}

}  // namespace arkmq::storage
