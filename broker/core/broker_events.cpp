// Names of the core's event enums (broker_events.hpp).
#include "broker/core/broker_events.hpp"

namespace arkmq::core {

std::string_view to_string(DisconnectInitiator by) {
  switch (by) {
    case DisconnectInitiator::client: return "client";
    case DisconnectInitiator::broker: return "broker";
    case DisconnectInitiator::transport: return "transport";
  }
  return "broker";
}

std::string_view to_string(DeniedAction action) {
  switch (action) {
    case DeniedAction::publish: return "publish";
    case DeniedAction::subscribe: return "subscribe";
    case DeniedAction::receive: return "receive";
    case DeniedAction::will: return "will";
  }
  return "publish";
}

}  // namespace arkmq::core
