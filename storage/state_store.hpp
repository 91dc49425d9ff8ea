// The durable-state store: <data_dir>/state.db, a bounded queue any thread submits changes to,
// and one writer thread that commits them in batches (group commit). Owned by the durable-store
// engineer; every member is thread-safe except open/move/destruction (the owning app thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/state_records.hpp"
#include "storage/state_schema.hpp"

namespace arkmq::storage {

struct StateStoreOptions {
  state_schema::Synchronous synchronous = state_schema::Synchronous::full;
  // Changes queued and not yet committed, at most. A submitter finding it full waits for the
  // writer (back-pressure), because a change may never be dropped: an acknowledgement waits
  // for it.
  std::size_t capacity = 1 << 20;
  std::size_t batch_max = 16384;  // changes per transaction at most
  // How long a failed transaction waits before it is tried again (doubling up to 2 s).
  std::chrono::milliseconds retry_delay{50};
  // Called on the writer thread when a transaction fails (the batch is kept and retried). Must
  // not call back into the store.
  std::function<void(const Error&)> on_write_error;
};

struct StateStoreStats {
  std::uint64_t queued = 0;        // changes waiting now
  std::uint64_t committed = 0;     // changes committed since open
  std::uint64_t batches = 0;       // transactions committed
  std::uint64_t write_errors = 0;  // transactions that failed (and were retried)
  std::uint64_t lost = 0;          // changes given up on at close because commits kept failing
};

class StateStore {
 public:
  using Ticket = std::uint64_t;

  // Opens state.db (see state_schema::open for what is refused), reads it whole (take_loaded),
  // then starts the writer thread.
  static Result<StateStore> open(const std::string& path, StateStoreOptions options = {});

  StateStore(StateStore&&) noexcept;
  StateStore& operator=(StateStore&&) noexcept;
  ~StateStore();  // close()

  // What the file held at open; moved out once (later calls return an empty state).
  StoredState take_loaded();

  // Each change takes the next ticket (in call order) and returns it. After close() changes are
  // ignored and return the last ticket.
  Ticket save_session(StoredSession session);
  Ticket remove_session(std::string_view client_id);
  Ticket save_subscription(StoredSubscription subscription);
  Ticket remove_subscription(std::string_view client_id, std::string_view filter,
                             std::string_view share_group);
  Ticket save_message(StoredMessage message);
  Ticket remove_message(std::string_view client_id, std::uint64_t id);
  Ticket add_inbound_qos2(std::string_view client_id, std::uint16_t packet_id);
  Ticket remove_inbound_qos2(std::string_view client_id, std::uint16_t packet_id);
  Ticket save_retained(StoredRetained retained);
  Ticket remove_retained(std::string_view topic);
  Ticket submit(StateOp op);

  Ticket last_ticket() const;       // of the latest change (0 before any)
  Ticket committed_ticket() const;  // every change up to this one is on disk
  // Calls `done` once `ticket` is committed: on the writer thread right after the commit, or at
  // once on the caller's thread when it already is. Never called when the store closes with
  // the change still failing to commit (its acknowledgement must not go out).
  void when_committed(Ticket ticket, std::function<void()> done);

  // Waits until every change made before the call is committed and the callbacks waiting for
  // them have returned; fails with the writer's last
  // error when a transaction failed meanwhile and the change is still uncommitted at `timeout`.
  Result<void> flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Commits what is queued (retrying a failing transaction a few times), stops the writer
  // thread. Idempotent.
  void close();

  StateStoreStats stats() const;

 private:
  struct Impl;
  explicit StateStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace arkmq::storage
