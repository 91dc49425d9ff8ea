// send_packet / receive_packet: RawClient frames re-assembled and handed to the codec.
#include "tests/support/raw_packets.hpp"

namespace arkmq::test {

bool send_packet(RawClient& client, const protocol::Packet& packet,
                 protocol::ProtocolVersion version) {
  protocol::Bytes bytes;
  protocol::encode_packet(packet, version, bytes);
  return client.send(bytes);
}

std::optional<protocol::Packet> receive_packet(RawClient& client, protocol::ProtocolVersion version,
                                               const Deadline& deadline,
                                               protocol::ReasonCode* error) {
  const ReadResult result = client.receive(deadline);
  if (result.status != ReadStatus::frame) return std::nullopt;
  wire::Bytes bytes{result.frame.first_byte};
  wire::put_varint(bytes, static_cast<std::uint32_t>(result.frame.body.size()));
  bytes.insert(bytes.end(), result.frame.body.begin(), result.frame.body.end());
  protocol::FrameHeader header;
  if (protocol::peek_frame(bytes, 268'435'455, header) != protocol::FrameStatus::complete) {
    if (error != nullptr) *error = protocol::ReasonCode::malformed_packet;
    return std::nullopt;
  }
  auto packet = protocol::decode_packet(protocol::ByteView(bytes).first(header.total_size()), version);
  if (!packet) {
    if (error != nullptr) *error = packet.error();
    return std::nullopt;
  }
  return *packet;
}

}  // namespace arkmq::test
