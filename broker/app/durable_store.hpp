// core::DurableState over storage::StateStore: converts the core's reports to plain storage
// records (messages encoded once per MessagePtr, steady times as wall-clock time) and what
// state.db held at startup back to a core::RestoredState. Owned by the durable-store engineer;
// reports come under the broker lock (any worker thread); open/restore/close on the main thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <tl/expected.hpp>

#include "broker/core/durable_state.hpp"
#include "storage/state_store.hpp"

namespace arkmq::app {

class DurableStore final : public core::DurableState {
 public:
  // Takes an open store; restored() converts what it loaded.
  DurableStore(storage::StateStore store, std::string path);
  ~DurableStore() override;

  // What state.db held, for Broker::restore (call once, before serving; later calls return an
  // empty state). A message the codec
  // cannot read makes the whole file refused: the error names the file and the message.
  tl::expected<core::RestoredState, std::string> restore();

  void save_session(const core::DurableSession& session) override;
  void remove_session(std::string_view client_id) override;
  void save_subscription(const core::DurableSubscription& subscription) override;
  void remove_subscription(std::string_view client_id, std::string_view filter,
                           std::string_view share_group) override;
  void save_message(const core::DurableMessage& message) override;
  void remove_message(std::string_view client_id, std::uint64_t id) override;
  void add_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) override;
  void remove_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) override;
  void save_retained(const core::MessagePtr& message) override;
  void remove_retained(std::string_view topic) override;
  Ticket last_ticket() const override;
  void when_committed(Ticket ticket, std::function<void()> done) override;

  // At shutdown, after the broker stopped reporting: commits everything, stops the writer.
  storage::Result<void> flush_and_close();
  const std::string& path() const { return path_; }
  storage::StateStore& store() { return store_; }

 private:
  struct BodyRef {
    std::weak_ptr<const core::Message> owner;
    std::uint64_t id = 0;
    std::weak_ptr<const storage::StateBlob> encoded;  // alive while a change still holds it
  };
  // The body id of `message` (new ones get the next id) and its encoded form.
  std::pair<std::uint64_t, storage::SharedStateBlob> body_of(const core::MessagePtr& message);

  storage::StateStore store_;
  std::string path_;
  std::mutex mutex_;  // the body cache (reports are serialised by the broker lock already)
  std::unordered_map<const core::Message*, BodyRef> bodies_;
  storage::StoredState loaded_;  // what the file held, until restore()
  std::uint64_t next_body_id_ = 1;
  std::size_t sweep_at_ = 1024;
};

// Opens <data_dir>/state.db when persistence is on (nullptr when off); a refused file is an
// error naming it. `on_write_error` reports failed commits (they are retried).
struct DurableStoreOptions {
  std::string data_dir;
  bool normal_sync = false;  // synchronous=NORMAL instead of FULL (see docs/persistence.md)
  std::function<void(const std::string&)> on_write_error;
};
tl::expected<std::shared_ptr<DurableStore>, std::string> open_durable_store(
    const DurableStoreOptions& options);

}  // namespace arkmq::app
