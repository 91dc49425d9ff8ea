// Reads the audit journal over a read-only connection: filtered queries (and polling for new rows
// with after_seq), statistics, and hash-chain verification. Owned by the audit engineer; one
// AuditReader per thread (arkmqctl's main thread), any number beside the running writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/audit_event.hpp"
#include "storage/audit_schema.hpp"
#include "storage/sqlite.hpp"

namespace arkmq::storage {

// Every set field must match. Rows come back in seq order.
struct AuditFilter {
  std::optional<std::int64_t> since_us;  // time_us >= since_us
  std::optional<std::int64_t> until_us;  // time_us <  until_us
  std::optional<std::string> client;     // exact client id
  std::optional<std::string> principal;  // exact principal (user name or certificate identity)
  std::vector<AuditType> types;          // empty: every type
  // An MQTT topic filter ('+', '#') matched against the row's topic with MQTT's rules (so "#"
  // does not match "$SYS/..." topics, and rows without a topic never match).
  std::optional<std::string> topic_filter;
  std::optional<AuditOutcome> outcome;
  std::size_t limit = 1000;     // 0: no limit
  std::int64_t after_seq = 0;   // follow mode: pass the last seq seen, poll again
};

struct AuditCount {
  std::string key;
  std::int64_t count = 0;
};

struct AuditTalker {
  std::string principal;
  std::int64_t publishes = 0;  // publish rows, a summary row counting as its details "count"
  std::int64_t bytes = 0;      // sum of the rows' details "size" (a summary row's "bytes")
};

struct AuditSummary {
  std::int64_t total = 0;
  std::vector<AuditCount> per_type;       // most frequent first; only types that occur
  std::vector<AuditCount> per_principal;  // most frequent first, at most `top`
  std::int64_t denials = 0;               // rows with outcome deny
  std::vector<AuditTalker> top_talkers;   // by publish count, then bytes; at most `top`
};

enum class VerifyFailure {
  none,
  modified,      // a row's content or hash was changed
  deleted,       // a seq is missing inside the chain
  reordered,     // a row holds the content of another seq
  inserted,      // a row before the anchor, after the head, or pushed into the middle
  truncated,     // rows at the end are missing: the last row is before chain_head
  head_mismatch, // every row chains, but the last hash differs from chain_head
  structure,     // the anchor or chain_head row is missing
};
std::string_view to_string(VerifyFailure failure);

struct VerifyReport {
  bool ok = false;
  std::int64_t first_bad_seq = 0;  // 0 when ok
  VerifyFailure kind = VerifyFailure::none;
  std::string message;             // one line for humans
  std::int64_t rows_checked = 0;
  audit_schema::ChainState chain;  // as stored; print chain.last_hash as an external anchor
};

class AuditReader {
 public:
  // Read-only; never creates or migrates. Errors: not_found (no file), corrupt (not SQLite),
  // newer_schema, invalid (not an audit journal, or an older schema not yet migrated).
  static Result<AuditReader> open(const std::string& path);

  Result<std::vector<AuditRecord>> query(const AuditFilter& filter);
  // Counts over rows with time_us >= since_us (all rows when empty).
  Result<AuditSummary> stats(std::optional<std::int64_t> since_us = std::nullopt,
                             std::size_t top = 10);
  // Walks the chain from the anchor in one read transaction (a consistent snapshot while the
  // broker keeps writing) and reports the first problem. Fails only when it cannot read.
  Result<VerifyReport> verify();
  Result<audit_schema::ChainState> chain_state();

 private:
  explicit AuditReader(Database db) : db_(std::move(db)) {}
  Database db_;
};

}  // namespace arkmq::storage
