// The audit journal's SQLite schema (events, chain_head, anchor), its migrations, the open-time
// checks shared by the writer and the reader, and the canonical row hash. Owned by the audit
// engineer. Functions take the caller's Database; RowHasher is per thread (not shared).
#pragma once

#include <cstdint>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/audit_event.hpp"
#include "storage/sqlite.hpp"

namespace arkmq::storage::audit_schema {

inline constexpr int kSchemaVersion = 1;
// PRAGMA application_id of an audit journal ("ARKA"): another SQLite file (arkmq.db, a stranger's
// database) given as audit.db is refused instead of being migrated into a journal.
inline constexpr std::int32_t kApplicationId = 0x41524b41;

// The hash that precedes seq 1.
inline constexpr AuditHash kGenesisHash{};

// Read-write open: creates the file (0600, WAL, incremental auto-vacuum) or migrates it. Refuses
// a file that is not SQLite (corrupt), a newer schema (newer_schema), or a database that is
// not an audit journal (invalid).
Result<Database> open_for_writing(const std::string& path);
// Read-only open (arkmqctl): never writes. Refuses what open_for_writing refuses, and a missing
// file (not_found) or an older schema the writer has not upgraded yet (invalid).
Result<Database> open_for_reading(const std::string& path);

// The chain's two ends, kept outside the events table and updated in the same transaction as
// the rows: verify() walks from the anchor and must arrive exactly at the head.
struct ChainState {
  std::int64_t first_seq = 1;     // the oldest row retention kept (anchor.first_seq)
  AuditHash anchor_hash{};        // the hash of the row before first_seq (genesis: zeros)
  std::int64_t last_seq = 0;      // chain_head.last_seq (0: nothing written yet)
  AuditHash last_hash{};          // chain_head.last_hash
};
Result<ChainState> read_chain_state(Database& db);

// Column list shared by the writer's INSERT and the reader's SELECTs, in this order.
inline constexpr const char* kEventColumns =
    "seq, time_us, type, outcome, client_id, principal, peer, listener, topic, details, payload, "
    "hash";

// A row exactly as stored (type and outcome as text), for verify: a row whose type was
// overwritten with an unknown word is still hashed and reported as modified, not as an error.
struct StoredRow {
  std::int64_t seq = 0;
  std::int64_t time_us = 0;
  std::string type;
  std::string outcome;
  std::string client_id;
  std::string principal;
  std::string peer;
  std::string listener;
  std::string topic;
  std::string details;
  std::optional<std::vector<std::byte>> payload;
  std::vector<std::byte> hash;
};
// Reads a row selected with kEventColumns, starting at column 0.
StoredRow read_stored_row(const Statement& stmt);
// A type or outcome this build does not know (a newer writer, a tampered row) is Kind::corrupt.
Result<AuditRecord> to_record(StoredRow row, const std::string& file);

// hash(seq) = SHA-256(prev_hash || canonical(seq, event)). The canonical encoding is a version
// tag, then seq and time_us as 8-byte big-endian, then type, outcome, client_id, principal, peer,
// listener, topic, details each as a 4-byte big-endian length and the bytes, then a payload
// marker (0 absent, 1 present + length + bytes). Length prefixes make field boundaries
// unambiguous ("ab"+"c" differs from "a"+"bc"); see docs/audit.md.
class RowHasher {
 public:
  RowHasher();
  ~RowHasher();
  RowHasher(const RowHasher&) = delete;
  RowHasher& operator=(const RowHasher&) = delete;
  RowHasher(RowHasher&&) noexcept;
  RowHasher& operator=(RowHasher&&) noexcept;

  AuditHash hash(const AuditHash& prev, std::int64_t seq, const AuditEvent& event);
  AuditHash hash(const AuditHash& prev, const StoredRow& row);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arkmq::storage::audit_schema
