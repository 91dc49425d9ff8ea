// One MQTT session (spec 4.1): the outbound in-flight window and packet ids, the offline queue,
// inbound QoS 2 ids, the will and the expiry of one client id. Subscriptions live in the
// SubscriptionTree under the same SessionKey. Owned by SessionStore; touched only under the broker lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker/core/client_link.hpp"
#include "broker/core/connection_info.hpp"
#include "broker/core/lazy_deque.hpp"
#include "broker/core/lazy_id_set.hpp"
#include "broker/core/message.hpp"
#include "broker/core/subscription_tree.hpp"
#include "broker/protocol/packets.hpp"

namespace arkmq::core {

using TimePoint = std::chrono::steady_clock::time_point;

class DurableGate;
class DurableLog;

// One message on its way to this session's client, with the per-subscriber details.
struct Outbound {
  MessagePtr message;
  protocol::QoS qos = protocol::QoS::at_most_once;
  bool retain = false;                        // the RETAIN flag to send
  std::vector<std::uint32_t> subscription_ids;  // every matching subscription's id [MQTT-3.3.4-3]
  // Set (from DurableLog) when the message is first owed to a durable session: its record in
  // the store. 0: not persisted (QoS 0, or a session that is not durable).
  std::uint64_t durable_id = 0;
};

// A QoS 1/2 PUBLISH sent and not yet completely acknowledged [MQTT-4.4.0-1].
struct InFlight {
  enum class Stage { awaiting_puback, awaiting_pubrec, awaiting_pubcomp };
  std::uint16_t packet_id = 0;
  Stage stage = Stage::awaiting_puback;
  Outbound outbound;
  // Held over from an earlier connection and not yet resent on this one: the client's new
  // Receive Maximum was full when the session resumed [MQTT-3.3.4-9]. Changed via Session only.
  bool awaiting_resend = false;
};

// Topic aliases the broker uses toward one connection [MQTT-3.3.2.3.4]: the first `maximum`
// distinct topics get aliases 1..maximum for the life of the connection (no replacement).
// The map is allocated with the first alias: most clients allow none (every v3.1.1 client).
struct OutboundAliases {
  using Map = std::unordered_map<std::string, std::uint16_t>;
  std::uint16_t maximum = 0;  // the client's Topic Alias Maximum; 0: none
  std::unique_ptr<Map> by_topic;

  // The alias of `topic`, 0 when it has none.
  std::uint16_t find(const std::string& topic) const {
    if (!by_topic) return 0;
    const auto it = by_topic->find(topic);
    return it != by_topic->end() ? it->second : std::uint16_t{0};
  }
  std::size_t size() const { return by_topic ? by_topic->size() : 0; }
  void add(const std::string& topic, std::uint16_t alias) {
    if (!by_topic) by_topic = std::make_unique<Map>();
    by_topic->emplace(topic, alias);
  }
};

// What the session knows about the connection it is attached to (read by routing threads).
struct SessionBinding {
  std::shared_ptr<ClientLink> link;
  std::uint64_t connection_id = 0;
  protocol::ProtocolVersion version = protocol::ProtocolVersion::v5;
  std::uint16_t window = 65535;       // outbound QoS 1/2 in flight at once
  std::uint32_t max_packet_size = 0;  // the client's Maximum Packet Size (0: no limit)
  OutboundAliases aliases;            // reset with every new connection
  // The bound connection's info, for BrokerEvents. Valid while the session is bound to it and
  // the broker lock is held: the connection releases the session (under the lock) before it goes.
  const ConnectionInfo* connection = nullptr;
  // The same object as `link` when persistence is on (null otherwise): a PUBLISH to a durable
  // session waits there for the commit of its own record.
  DurableGate* gate = nullptr;
};

struct QueueLimits {
  std::size_t max_messages = 0;
  std::size_t max_bytes = 0;
};

// Bytes a message costs against max_queued_bytes.
inline std::size_t queue_cost(const Message& message) {
  return message.topic.size() + message.payload.size();
}

class Session {
 public:
  Session(std::string client_id, SessionKey key);

  const std::string& client_id() const { return client_id_; }
  SessionKey key() const { return key_; }

  // Identity fixed at CONNECT, used for per-subscriber `receive` authorization.
  const std::string& principal() const { return principal_; }
  void set_principal(std::string principal) { principal_ = std::move(principal); }

  // --- attachment to a connection
  bool is_online() const { return binding_.has_value(); }
  bool is_bound_to(std::uint64_t connection_id) const {
    return binding_ && binding_->connection_id == connection_id;
  }
  const SessionBinding* binding() const { return binding_ ? &*binding_ : nullptr; }
  SessionBinding* binding() { return binding_ ? &*binding_ : nullptr; }
  void bind(SessionBinding binding) { binding_ = std::move(binding); expires_at_ = kNever; }
  void unbind() { binding_.reset(); }

  // --- expiry (seconds after the connection closes; 0 ends the session with the connection)
  std::uint32_t expiry_interval() const { return expiry_interval_; }
  void set_expiry_interval(std::uint32_t seconds) { expiry_interval_ = seconds; }
  std::optional<TimePoint> expires_at() const {
    return expires_at_ != kNever ? std::optional<TimePoint>(expires_at_) : std::nullopt;
  }
  void start_expiry(TimePoint now) { expires_at_ = now + std::chrono::seconds(expiry_interval_); }
  // Restore only.
  void set_expires_at(std::optional<TimePoint> at) { expires_at_ = at.value_or(kNever); }

  // --- persistence: non-null while the session is durable (its changes are reported there).
  // Every change of the queue, the in-flight window and the inbound QoS 2 ids below is
  // reported by these methods; set by sync_session (durable_log.hpp) and restore.
  DurableLog* durable_log() const { return durable_log_; }
  void set_durable_log(DurableLog* log) { durable_log_ = log; }

  // --- the will of the attached connection; moved to the WillScheduler when it closes.
  // Held behind a pointer: most connections have none, and a Will is over 500 bytes.
  bool has_will() const { return will_ != nullptr; }
  void set_will(std::optional<protocol::Will> will);
  // Removes and returns the will (empty when there is none).
  std::optional<protocol::Will> take_will();

  // --- outbound QoS 1/2
  // A packet id not in flight [MQTT-2.2.1-3]; 0 when all 65535 are in use.
  std::uint16_t allocate_packet_id();
  // Unacknowledged PUBLISHes on the wire (PUBREC'd QoS 2 ones count until PUBCOMP [MQTT-4.9.0-3]);
  // entries awaiting a resend are not on the wire yet.
  std::size_t outstanding() const { return in_flight_.size() - awaiting_resend_; }
  bool window_open(std::uint16_t window) const { return outstanding() < window; }
  bool has_awaiting_resend() const { return awaiting_resend_ != 0; }
  void set_awaiting_resend(InFlight& entry, bool awaiting);
  void add_in_flight(InFlight entry);
  // The in-flight entry with this id, or null.
  InFlight* find_in_flight(std::uint16_t packet_id);
  void remove_in_flight(std::uint16_t packet_id);
  // PUBREC received: the entry now awaits PUBCOMP (reported: a restart resends PUBREL).
  void set_stage(InFlight& entry, InFlight::Stage stage);
  LazyDeque<InFlight>& in_flight() { return in_flight_; }

  // Appends to the pending queue; false (and nothing queued) past the limits.
  bool enqueue(Outbound outbound, const QueueLimits& limits);
  bool has_queued() const { return !queue_.empty(); }
  // Removes and returns the oldest pending message. Not reported: the caller either puts it in
  // flight (add_in_flight), queues it again (enqueue) or drops it (discard).
  Outbound pop_queued();
  // A message taken by pop_queued (or never queued) that will not be delivered: its record goes.
  void discard(const Outbound& outbound);
  // Drops queued messages whose expiry passed; returns how many [MQTT-3.3.2-5].
  std::size_t remove_expired(TimePoint now);
  // Drops queued messages for which `drop(outbound)` is true; returns how many.
  template <typename Predicate>
  std::size_t remove_queued_if(Predicate drop) {
    const std::size_t before = queue_.size();
    queue_.erase_if([&](const Outbound& o) {
      const bool dropped = drop(o);
      if (dropped) {
        queued_bytes_ -= queue_cost(*o.message);
        discard(o);
      }
      return dropped;
    });
    return before - queue_.size();
  }
  std::size_t queued_count() const { return queue_.size(); }
  std::size_t queued_bytes() const { return queued_bytes_; }

  // --- progress: when the client last acknowledged a QoS 1/2 PUBLISH (or attached). A session
  // whose queue fills while it still makes progress is slow; one that makes none is stalled.
  TimePoint last_progress() const { return last_progress_; }
  void note_progress(TimePoint now) { last_progress_ = now; }

  // --- inbound QoS 2: ids received and not yet released by PUBREL [MQTT-4.3.3-*]
  const LazyIdSet& inbound_qos2() const { return inbound_qos2_; }
  void add_inbound_qos2(std::uint16_t packet_id);
  // False when the id was not there.
  bool remove_inbound_qos2(std::uint16_t packet_id);

 private:
  std::string client_id_;
  SessionKey key_;
  std::string principal_;
  std::optional<SessionBinding> binding_;
  // One Session per client, idle ones included: small members share words (issue 7).
  std::uint32_t expiry_interval_ = 0;
  std::uint16_t next_packet_id_ = 1;
  // kNever: not expiring (online, or not started); 8 bytes where an optional takes 16.
  static constexpr TimePoint kNever = TimePoint::max();
  TimePoint expires_at_ = kNever;
  std::unique_ptr<protocol::Will> will_;  // null: no will

  LazyDeque<InFlight> in_flight_;  // both allocate on first use: most sessions stay idle
  LazyIdSet in_flight_ids_;
  std::size_t awaiting_resend_ = 0;  // entries of in_flight_ with awaiting_resend set
  LazyDeque<Outbound> queue_;
  std::size_t queued_bytes_ = 0;
  TimePoint last_progress_{};
  LazyIdSet inbound_qos2_;
  DurableLog* durable_log_ = nullptr;

  // Reports one message's record (assigning its id on first report).
  void save_message(Outbound& outbound, std::uint16_t packet_id, InFlight::Stage stage);
};

}  // namespace arkmq::core
