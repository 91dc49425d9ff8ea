// The core's side of persistence: forwards changes of durable state to the DurableState (when
// one is set) and numbers the messages owed to durable sessions. Owned by BrokerData; touched
// only under the broker lock. A Session points at it while it is durable (expiry > 0).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/durable_state.hpp"

namespace arkmq::core {

class DurableLog {
 public:
  // Null: nothing is reported. Removals of what restore() dropped (expired sessions, messages
  // and retained messages) are reported now, so the store forgets them too.
  void set_state(DurableState* state);
  DurableState* state() const { return state_; }

  // A broker-unique, increasing id for a message owed to a durable session (restore keeps the
  // order by it).
  std::uint64_t next_message_id() { return ++last_message_id_; }
  // Restore: ids continue above every restored one.
  void raise_message_ids_to(std::uint64_t id) {
    if (id > last_message_id_) last_message_id_ = id;
  }

  // What restore() dropped, reported as removed once a DurableState is set.
  void defer_session_removal(std::string client_id) {
    dropped_sessions_.push_back(std::move(client_id));
  }
  void defer_message_removal(std::string client_id, std::uint64_t id) {
    dropped_messages_.emplace_back(std::move(client_id), id);
  }
  void defer_retained_removal(std::string topic) { dropped_retained_.push_back(std::move(topic)); }

  // --- session records (no-ops unless the session is durable and a DurableState is set)
  void save_session(const Session& session);
  void remove_session(const Session& session);

  // --- retained messages; topics starting with '$' are the broker's own ($SYS, refreshed at
  // every start) and are not persisted. Clients cannot publish there [MQTT-4.7.2-1].
  void save_retained(const MessagePtr& message);
  void remove_retained(std::string_view topic);

 private:
  DurableState* state_ = nullptr;
  std::uint64_t last_message_id_ = 0;
  std::vector<std::string> dropped_sessions_;
  std::vector<std::pair<std::string, std::uint64_t>> dropped_messages_;
  std::vector<std::string> dropped_retained_;
};

// CONNECT bound the session or DISCONNECT / connection loss left it: a session with expiry > 0
// is saved and from then on reports its changes (Session::durable_log); one whose expiry is 0 is
// removed if it was saved, and reports nothing more.
void sync_session(DurableLog& log, Session& session);

// A subscription of `session` was added or replaced / removed: reported when it is durable.
void report_subscribed(const Session& session, std::string_view filter,
                       std::string_view share_group, const Subscription& subscription);
void report_unsubscribed(const Session& session, std::string_view filter,
                         std::string_view share_group);

}  // namespace arkmq::core
