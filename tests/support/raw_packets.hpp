// Typed packets over a RawClient through arkmq_protocol's codec (encode_packet, peek_frame,
// decode_packet). Only built when arkmq_protocol exists; test thread only.
#pragma once

#include <optional>

#include "broker/protocol/codec.hpp"
#include "broker/protocol/packets.hpp"
#include "tests/support/raw_client.hpp"

namespace arkmq::test {

// Encodes `packet` for `version` and sends it; false if the peer has closed.
bool send_packet(RawClient& client, const protocol::Packet& packet,
                 protocol::ProtocolVersion version);

// The next packet decoded for `version`; nullopt on timeout, close, or a frame the codec rejects
// (then `error` holds the codec's reason code when given).
std::optional<protocol::Packet> receive_packet(RawClient& client, protocol::ProtocolVersion version,
                                               const Deadline& deadline,
                                               protocol::ReasonCode* error = nullptr);

}  // namespace arkmq::test
