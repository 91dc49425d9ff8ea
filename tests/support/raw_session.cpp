// RawSession: the client side of the QoS flows (spec 4.3), written out step by step.
#include "tests/support/raw_session.hpp"

#include <stdexcept>

namespace arkmq::test {

using namespace std::chrono_literals;

namespace {
constexpr int kPuback = 4, kPubrec = 5, kPubrel = 6, kPubcomp = 7, kSuback = 9;
}

RawSession::RawSession(std::uint16_t port, int version, const std::string& client_id, bool clean,
                       const wire::Bytes& connect_properties)
    : client_(port), version_(version) {
  auto frame =
      client_.connect(wire::connect_spec(version, client_id, clean, 60, connect_properties),
                      Deadline(5s));
  if (!frame) throw std::runtime_error("no CONNACK for " + client_id);
  auto view = wire::parse_connack(*frame, version);
  if (!view || view->reason != 0) {
    throw std::runtime_error("CONNECT refused for " + client_id + ", code " +
                             std::to_string(view ? view->reason : -1));
  }
  connack_ = *view;
}

std::uint16_t RawSession::next_id() {
  packet_id_ = static_cast<std::uint16_t>(packet_id_ % 65535 + 1);
  return packet_id_;
}

std::optional<std::uint8_t> RawSession::publish(const std::string& topic,
                                                const std::string& payload, int qos, bool retain,
                                                const wire::Bytes& properties) {
  const std::uint16_t id = qos > 0 ? next_id() : 0;
  if (!client_.send(wire::publish(version_, topic, payload, qos, id, retain, properties))) {
    return std::nullopt;
  }
  if (qos == 0) return 0;
  const Deadline deadline(5s);
  auto ack = client_.receive_type(qos == 1 ? kPuback : kPubrec, deadline);
  if (!ack) return std::nullopt;
  const std::uint8_t reason = wire::ack_reason(*ack);
  if (qos == 2 && reason < 0x80) {
    client_.send(wire::ack(0x62, id));
    if (!client_.receive_type(kPubcomp, deadline)) return std::nullopt;
  }
  return reason;
}

std::vector<std::uint8_t> RawSession::subscribe(const std::string& filter, std::uint8_t options,
                                                const wire::Bytes& properties) {
  client_.send(wire::subscribe(version_, next_id(), filter, options, properties));
  auto suback = client_.receive_type(kSuback, Deadline(5s));
  if (!suback) return {};
  return wire::parse_ack_reasons(*suback, version_);
}

std::optional<wire::PublishView> RawSession::next_publish(const Deadline& deadline) {
  for (;;) {
    const ReadResult result = client_.receive(deadline);
    if (result.status != ReadStatus::frame) return std::nullopt;
    const wire::Frame& frame = result.frame;
    if (frame.type() == kPubrel) {  // QoS 2 step 3 of a message already returned
      client_.send(wire::ack(0x70, wire::packet_id_of(frame)));
      continue;
    }
    auto view = wire::parse_publish(frame, version_);
    if (!view) continue;
    if (view->qos == 1) client_.send(wire::ack(0x40, view->packet_id));
    if (view->qos == 2) client_.send(wire::ack(0x50, view->packet_id));
    return view;
  }
}

void RawSession::disconnect(std::uint8_t reason) { client_.send(wire::disconnect(version_, reason)); }

}  // namespace arkmq::test
