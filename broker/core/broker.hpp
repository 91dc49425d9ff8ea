// The broker's shared state and semantics without sockets: sessions, subscriptions, retained
// messages, wills, $SYS. One per process, shared by every worker; thread-safe (see
// docs/adr/0001-core-threading.md). The net layer owns it and drives it through ClientConnection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/authenticator.hpp"
#include "broker/core/broker_config.hpp"
#include "broker/core/broker_events.hpp"
#include "broker/core/broker_snapshot.hpp"
#include "broker/core/service_settings.hpp"
#include "broker/protocol/reason_code.hpp"

namespace arkmq::core {

using Clock = std::chrono::steady_clock;

struct BrokerStats {
  std::uint64_t clients_connected = 0;
  std::uint64_t sessions = 0;           // connected and offline persistent sessions
  std::uint64_t subscriptions = 0;
  std::uint64_t retained_messages = 0;
  std::uint64_t messages_received = 0;  // PUBLISH packets from clients
  std::uint64_t messages_sent = 0;      // PUBLISH packets to clients
  std::uint64_t messages_dropped = 0;   // queue full, slow consumer, too large for the receiver
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
};

// Extra $SYS values the application contributes ("audit/written" -> "$SYS/broker/audit/written"):
// called under the broker lock at every $SYS refresh; must be cheap and must not call the Broker.
using SysExtra = std::function<std::vector<std::pair<std::string, std::string>>()>;

class BrokerState;  // defined in broker/core; the data behind the lock
class DurableState;
class LimitsProvider;
struct RestoredState;

class Broker {
 public:
  Broker(BrokerConfig config, std::shared_ptr<Authenticator> authenticator,
         std::shared_ptr<Authorizer> authorizer);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // What happens, for the audit journal (see broker_events.hpp). Call before serving; null
  // restores the default (no events).
  void set_events(std::shared_ptr<BrokerEvents> events);
  // Extra $SYS topics under $SYS/broker/ (see SysExtra). Call before serving.
  void set_sys_extra(SysExtra extra);

  // Persistence (durable_state.hpp). Before serving: restore what the store loaded (nothing
  // restored is reported back), then set_durable_state. Without one, nothing is persisted.
  void restore(const RestoredState& restored, Clock::time_point now);
  void set_durable_state(std::shared_ptr<DurableState> durable);

  // Per-principal flow-control limits (client_limits.hpp). Call before serving; without a
  // provider only the BrokerConfig bounds apply.
  void set_limits_provider(std::shared_ptr<LimitsProvider> limits);

  // Services ($svc/, docs/protocol.md): bounds, call rates and the call-id source. Call before
  // serving; without it the defaults of ServiceSettings apply.
  void set_service_settings(ServiceSettings settings);
  // Service call deadlines and announcement expiry. Call every ~50 ms from any one thread, so a
  // timeout is answered close to its deadline (tick() runs it too, at its own pace).
  void tick_services(Clock::time_point now);

  // Housekeeping, called about once a second from any one thread: session expiry, delayed
  // wills, message expiry, $SYS refresh.
  void tick(Clock::time_point now);

  // Graceful stop, first step (broker_drain.cpp): from now on no new work is accepted. A
  // PUBLISH (any QoS), SUBSCRIBE or CONNECT is ignored: not routed, not acknowledged (QoS 1/2
  // publishers resend after reconnecting; QoS 0 in this window is lost), and queued messages
  // are no longer moved into flight. Acknowledgements (PUBACK, PUBREC, PUBREL, PUBCOMP) are
  // processed as usual and the durable gates keep releasing held acks as the store commits.
  // Irreversible: shutdown() follows.
  void begin_drain();
  // True when nothing more is owed on the wire: no online session has a message in flight
  // (sent on its connection) awaiting an acknowledgement, and no connection's durable gate
  // holds a packet (every ack released by a commit has been handed to its link).
  bool drain_settled() const;
  // begin_drain(), then waits until drain_settled() or `grace` has passed, polling every few
  // ms from the calling thread (never a worker). True when settled. A grace of 0 drains
  // nothing and returns false at once (the immediate close of shutdown() alone).
  bool drain(std::chrono::milliseconds grace);

  // Graceful shutdown: v5 clients get DISCONNECT 0x8B, every link is closed. Sessions and
  // retained messages stay as they are (persistence is the storage layer's job).
  void shutdown();

  // Ends every online session of `principal` (empty: anonymous clients): v5 clients get
  // DISCONNECT with `reason` first. Used when a user is removed. Returns how many were closed.
  std::size_t disconnect_principal(std::string_view principal, protocol::ReasonCode reason);
  // The same with the caller's clock (will delay and session expiry count from `now`).
  std::size_t disconnect_principal(std::string_view principal, protocol::ReasonCode reason,
                                   Clock::time_point now);

  BrokerStats stats() const;
  // Operators' view (broker_snapshot.hpp): connected clients (at most `max_clients` listed) and
  // the service registry, copied under the lock. Any thread; cost grows with the client count.
  BrokerSnapshot snapshot(std::size_t max_clients) const;
  const BrokerConfig& config() const;

  // For ClientConnection only.
  BrokerState& state();

 private:
  std::unique_ptr<BrokerState> state_;
};

}  // namespace arkmq::core
