// What the core reports to the persistence layer when state that must survive a restart changes,
// and what it is given back at startup. Implemented by broker/app over storage/state_store.
// Every report is made under the broker lock: implementations only enqueue, never block on I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/message.hpp"
#include "broker/core/session.hpp"
#include "broker/core/subscription_tree.hpp"

namespace arkmq::core {

// Which sessions are durable: those that outlive their connection (Session Expiry Interval > 0,
// or a v3.1.1 clean_session=0 session). A session with expiry 0 ends with its connection, so
// nothing of it is ever reported. QoS 0 messages are never reported (they are not owed to
// anybody across a restart); retained messages are reported whatever their QoS.
//
// Times are steady_clock values of the running process; the implementation converts them to
// wall-clock time for storage and back on load (steady_clock does not survive a restart).

struct DurableSession {
  std::string client_id;
  std::string principal;
  std::uint32_t expiry_interval = 0;  // seconds
  std::optional<TimePoint> expires_at;  // set while the session is offline
};

struct DurableSubscription {
  std::string client_id;
  SessionSubscription subscription;  // filter, share group, options, subscription id
};

// One QoS 1/2 message owed to a session: queued, or in flight with its packet id and stage.
struct DurableMessage {
  std::string client_id;
  std::uint64_t id = 0;  // unique and increasing per broker: restore keeps this order
  Outbound outbound;     // the message (shared: implementations may store one copy per MessagePtr)
  std::uint16_t packet_id = 0;  // 0: queued, not in flight yet
  InFlight::Stage stage = InFlight::Stage::awaiting_puback;
};

struct RestoredState {
  std::vector<DurableSession> sessions;
  std::vector<DurableSubscription> subscriptions;
  std::vector<DurableMessage> messages;  // in id order
  std::vector<std::pair<std::string, std::uint16_t>> inbound_qos2;  // client id, packet id
  std::vector<MessagePtr> retained;
};

class DurableState {
 public:
  using Ticket = std::uint64_t;

  virtual ~DurableState() = default;

  virtual void save_session(const DurableSession& session) = 0;  // insert or replace
  // Removes the session and everything it owns (subscriptions, messages, inbound QoS 2 ids).
  virtual void remove_session(std::string_view client_id) = 0;
  virtual void save_subscription(const DurableSubscription& subscription) = 0;
  // `filter` as in SessionSubscription (plain filter) plus its share group.
  virtual void remove_subscription(std::string_view client_id, std::string_view filter,
                                   std::string_view share_group) = 0;
  virtual void save_message(const DurableMessage& message) = 0;  // insert or update
  virtual void remove_message(std::string_view client_id, std::uint64_t id) = 0;
  virtual void add_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) = 0;
  virtual void remove_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) = 0;
  virtual void save_retained(const MessagePtr& message) = 0;  // replaces the topic's message
  virtual void remove_retained(std::string_view topic) = 0;

  // The ticket of the latest report (0 before any). Reports are made under the broker lock, so a
  // handler that reads it before and after its work (still under the lock) knows whether it
  // reported anything, and which ticket its acknowledgements must wait for.
  virtual Ticket last_ticket() const = 0;
  // Calls `done` once every report up to `ticket` is committed: on the writer thread after the
  // commit, or at once when it already is. `done` must not take the broker lock.
  virtual void when_committed(Ticket ticket, std::function<void()> done) = 0;
};

}  // namespace arkmq::core
