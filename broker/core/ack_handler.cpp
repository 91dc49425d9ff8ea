// Outbound QoS 1/2 flows, broker side.
#include "broker/core/ack_handler.hpp"

namespace arkmq::core {
namespace {

using Stage = InFlight::Stage;
using protocol::ReasonCode;

void complete(ConnectionState& c, Session& session, std::uint16_t packet_id) {
  session.note_progress(c.now);
  session.remove_in_flight(packet_id);
  pump_queue(session, c.context());
}

}  // namespace

void handle_puback(ConnectionState& c, const protocol::Puback& puback) {
  auto data = c.state.lock();
  Session* session = c.bound_session(*data);
  if (session == nullptr) return;
  const InFlight* entry = session->find_in_flight(puback.packet_id);
  // An unknown id (or one of a QoS 2 flow) is ignored.
  if (entry != nullptr && entry->stage == Stage::awaiting_puback) {
    complete(c, *session, puback.packet_id);
  }
}

void handle_pubrec(ConnectionState& c, const protocol::Pubrec& pubrec) {
  auto data = c.state.lock();
  Session* session = c.bound_session(*data);
  if (session == nullptr) return;
  const DurableMark durable_mark(c.state);  // the PUBREL waits for the stage change's commit
  InFlight* entry = session->find_in_flight(pubrec.packet_id);
  if (entry == nullptr || entry->stage == Stage::awaiting_puback) {
    // [MQTT-4.3.3] v5: PUBREL 0x92 for an id the broker does not know.
    if (c.is_v5()) c.send(protocol::Pubrel{pubrec.packet_id, ReasonCode::packet_identifier_not_found, {}});
    return;
  }
  if (is_error(pubrec.reason)) {  // the receiver refused the message: the flow ends here
    complete(c, *session, pubrec.packet_id);
    return;
  }
  // Reported (with the message, which the store may drop now): after a restart the broker
  // resends PUBREL, never the PUBLISH.
  session->set_stage(*entry, Stage::awaiting_pubcomp);
  session->set_awaiting_resend(*entry, false);  // acknowledged, so no longer to be resent
  entry->outbound.message.reset();  // the message itself is no longer needed [MQTT-4.3.3-4]
  durable_mark.hold(c.gate);
  c.send(protocol::Pubrel{pubrec.packet_id, ReasonCode::success, {}});
}

void handle_pubcomp(ConnectionState& c, const protocol::Pubcomp& pubcomp) {
  auto data = c.state.lock();
  Session* session = c.bound_session(*data);
  if (session == nullptr) return;
  const InFlight* entry = session->find_in_flight(pubcomp.packet_id);
  if (entry != nullptr && entry->stage == Stage::awaiting_pubcomp) {
    complete(c, *session, pubcomp.packet_id);
  }
}

}  // namespace arkmq::core
