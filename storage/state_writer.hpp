// Applies queued state changes to state.db with prepared statements, and reads the whole state
// back at startup. Owned by the durable-store engineer; used by one thread at a time (the
// opener for load(), then StateStore's writer thread).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_set>
#include <vector>

#include "storage/sqlite.hpp"
#include "storage/state_records.hpp"

namespace arkmq::storage {

class StateWriter {
 public:
  static Result<StateWriter> create(Database db);
  StateWriter(StateWriter&&) noexcept;
  StateWriter& operator=(StateWriter&&) noexcept;
  ~StateWriter();

  // Everything in the file. Messages come in id order; a message whose body is missing makes
  // the file inconsistent (Kind::corrupt), which is refused like a damaged file.
  Result<StoredState> load();

  // Applies `ops` in order in one IMMEDIATE transaction: all or nothing.
  Result<void> apply(std::span<const StateOp> ops);

  Database& database() { return db_; }

 private:
  struct Statements;
  explicit StateWriter(Database db);
  Result<void> apply_one(const StateOp& op);
  Result<void> drop_body_if_unused(std::int64_t body_id);

  Database db_;
  std::unique_ptr<Statements> stmts_;  // destroyed before db_
  // Bodies known to be in the file, so a body shared by many messages is bound and written once.
  std::unordered_set<std::uint64_t> stored_bodies_;
  std::vector<std::uint64_t> added_bodies_;  // by the open transaction: forgotten on rollback
};

}  // namespace arkmq::storage
