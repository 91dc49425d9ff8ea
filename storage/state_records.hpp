// The broker's durable state as plain storage records (sessions, subscriptions, messages owed to
// sessions, inbound QoS 2 ids, retained messages). Value types; owned by the durable-store engineer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace arkmq::storage {

// A message body as the application encodes it (storage never looks inside). Shared: one body
// may be owned by many sessions and is stored once (bodies table, keyed by body_id).
using StateBlob = std::vector<std::byte>;
using SharedStateBlob = std::shared_ptr<const StateBlob>;

struct StoredSession {
  std::string client_id;
  std::string principal;
  std::uint32_t expiry_interval = 0;         // seconds
  std::optional<std::int64_t> expires_at_us;  // wall clock (UTC us since the epoch); set offline
  bool operator==(const StoredSession&) const = default;
};

struct StoredSubscription {
  std::string client_id;
  std::string filter;       // plain filter, without "$share/<group>/"
  std::string share_group;  // "" = not shared
  std::uint8_t max_qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;
  std::uint32_t subscription_id = 0;
  bool operator==(const StoredSubscription&) const = default;
};

// One QoS 1/2 message owed to a session. `body_id` names the shared body; the writer stores
// `body` under that id the first time it sees the id (later copies are not written again).
struct StoredMessage {
  std::string client_id;
  std::uint64_t id = 0;  // unique per broker, increasing: load returns messages in id order
  std::uint64_t body_id = 0;
  SharedStateBlob body;
  std::uint8_t qos = 1;
  bool retain = false;
  std::vector<std::uint32_t> subscription_ids;
  std::uint16_t packet_id = 0;  // 0: queued
  std::uint8_t stage = 0;       // the application's in-flight stage
};

struct StoredRetained {
  std::string topic;
  SharedStateBlob body;
};

// Everything state.db holds, as load() returns it.
struct StoredState {
  std::vector<StoredSession> sessions;
  std::vector<StoredSubscription> subscriptions;
  std::vector<StoredMessage> messages;  // in id order; equal body_ids share one `body`
  std::vector<std::pair<std::string, std::uint16_t>> inbound_qos2;
  std::vector<StoredRetained> retained;  // in topic order
  std::uint64_t max_body_id = 0;          // new bodies take ids above this
  std::uint64_t max_message_id = 0;
};

// One change, as queued for the writer thread.
namespace state_op {
struct SaveSession { StoredSession session; };
struct RemoveSession { std::string client_id; };
struct SaveSubscription { StoredSubscription subscription; };
struct RemoveSubscription { std::string client_id, filter, share_group; };
struct SaveMessage { StoredMessage message; };
struct RemoveMessage { std::string client_id; std::uint64_t id = 0; };
struct AddInboundQos2 { std::string client_id; std::uint16_t packet_id = 0; };
struct RemoveInboundQos2 { std::string client_id; std::uint16_t packet_id = 0; };
struct SaveRetained { StoredRetained retained; };
struct RemoveRetained { std::string topic; };
}  // namespace state_op

using StateOp = std::variant<state_op::SaveSession, state_op::RemoveSession,
                             state_op::SaveSubscription, state_op::RemoveSubscription,
                             state_op::SaveMessage, state_op::RemoveMessage,
                             state_op::AddInboundQos2, state_op::RemoveInboundQos2,
                             state_op::SaveRetained, state_op::RemoveRetained>;

}  // namespace arkmq::storage
