// Client DISCONNECT.
#include "broker/core/disconnect_handler.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace arkmq::core {

void handle_disconnect(ConnectionState& c, const protocol::Disconnect& disconnect) {
  const auto& expiry = disconnect.properties.session_expiry_interval;
  if (c.is_v5() && expiry) {
    if (c.session_expiry_zero && *expiry != 0) {  // [MQTT-3.14.2-2]
      return c.fail(protocol::ReasonCode::protocol_error,
                    "session expiry set in DISCONNECT after 0 in CONNECT");
    }
    auto data = c.state.lock();
    if (Session* session = c.bound_session(*data)) {
      session->set_expiry_interval(std::min(*expiry, c.config.max_session_expiry));
    }
  }
  // Only reason 0x00 deletes the will [MQTT-3.14.4-3]; 0x04 and the others keep it.
  const bool normal = disconnect.reason == protocol::normal_disconnection;
  c.close();  // [MQTT-3.14.4-1]
  c.release_session(!normal, disconnect.reason, DisconnectInitiator::client,
                    fmt::format("DISCONNECT: {}", protocol::to_string(disconnect.reason)));
}

}  // namespace arkmq::core
