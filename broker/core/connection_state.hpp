// The per-connection state behind ClientConnection: phase, negotiated limits, inbound topic
// aliases, keep alive, the read buffer, and the close/fail helpers every handler uses.
// Touched only by the connection's own worker thread; broker data only through state.lock().
// One per connection, idle ones included: members are ordered so the small ones share words.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/broker_state.hpp"
#include "broker/core/client_link.hpp"
#include "broker/core/connection_info.hpp"
#include "broker/core/connection_quota.hpp"
#include "broker/core/delivery.hpp"
#include "broker/core/durable_gate.hpp"

namespace arkmq::core {

enum class Phase : std::uint8_t { awaiting_connect, connected, closing };

class ConnectionState {
 public:
  ConnectionState(BrokerState& state, ConnectionInfo info, std::shared_ptr<ClientLink> link,
                  TimePoint now);

  BrokerState& state;
  const BrokerConfig& config;
  const ConnectionInfo info;
  const std::shared_ptr<ClientLink> link;
  // Persistence on: every packet goes through this gate (the object `link` owns), so
  // acknowledgements wait for the commit of what they acknowledge (durable_gate.hpp).
  // Null otherwise.
  DurableGate* const gate;
  const std::uint64_t connection_id;

  Phase phase = Phase::awaiting_connect;
  protocol::ProtocolVersion version = protocol::ProtocolVersion::v311;  // set by CONNECT
  bool problem_information = true;    // Request Problem Information != 0
  bool session_expiry_zero = true;    // CONNECT asked for expiry 0 [MQTT-3.14.2-2]
  bool detached = false;              // the session has been released
  std::uint32_t peer_max_packet_size = 0;  // the client's Maximum Packet Size; 0: no limit
  // 1.5 x Keep Alive; 0: none [MQTT-3.1.2-24]. At most 98,302,500 ms: 32 bits are enough.
  std::chrono::duration<std::uint32_t, std::milli> keep_alive_limit{0};
  TimePoint created_at;
  TimePoint last_packet_at;
  TimePoint now;  // the latest clock value seen (on_transport_closed has none of its own)

  std::string client_id;
  std::string principal;
  SessionKey session_key = 0;
  // Inbound: alias N is topic_aliases[N - 1] (N up to config.topic_alias_maximum, v5 only);
  // grown as aliases are first used.
  std::vector<std::string> topic_aliases;
  // Flow control: the net layer stops reading from the socket until then (a v3.1.1 client over
  // its publish rate is slowed by TCP back-pressure; MQTT 3.1.1 has no reason codes for it).
  std::optional<TimePoint> read_paused_until;
  ConnectionQuota quota;  // the principal's limits and publish buckets (quota_enforcement.hpp)

  // Unread bytes: an incomplete packet, or what a read pause left (on_bytes handles whole
  // packets straight from the bytes read, so an idle connection holds no buffer).
  std::vector<std::uint8_t> buffer;

  bool is_v5() const { return version == protocol::ProtocolVersion::v5; }
  DeliveryContext context() { return DeliveryContext{state, now}; }
  ClientIdentity identity() const { return ClientIdentity{client_id, principal, &info}; }
  BrokerEvents& events() { return state.events(); }

  // Encodes and queues a control packet within the client's limits (send_control); false when
  // it could not be sent at all.
  bool send(const protocol::Packet& packet);
  // Asks the link to close; stops reading.
  void close();
  // A protocol violation or timeout: the wire response for `code` (error_mapping), then close
  // and release the session with its will.
  void fail(protocol::ReasonCode code, std::string_view why);
  // Detaches from the session once (will unless `send_will` is false); no-op when taken over.
  // Reports `disconnected` with `reason`, `by` and `why` (server_shutting_down by the broker once
  // Broker::shutdown ran); `why` also goes to the log line.
  void release_session(bool send_will, protocol::ReasonCode reason, DisconnectInitiator by,
                       std::string_view why);
  // The session when this connection is still the one bound to it; null after a takeover.
  Session* bound_session(BrokerData& data) const;
};

}  // namespace arkmq::core
