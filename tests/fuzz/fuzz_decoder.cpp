// libFuzzer target: bytes -> peek_frame -> decode_packet for both versions; every packet that
// decodes must re-encode to encoded_size bytes and decode back to an equal packet.
#include <cstddef>
#include <cstdint>

#include "broker/protocol/codec.hpp"

namespace {

using arkmq::protocol::ByteView;
using arkmq::protocol::Bytes;
using arkmq::protocol::FrameHeader;
using arkmq::protocol::FrameStatus;
using arkmq::protocol::ProtocolVersion;

void check_frame(ByteView frame, ProtocolVersion version) {
  // Every proper prefix of a complete frame must ask for more bytes.
  FrameHeader prefix_header;
  for (std::size_t n = 0; n < frame.size(); ++n) {
    if (arkmq::protocol::peek_frame(frame.first(n), UINT32_MAX, prefix_header) !=
        FrameStatus::need_more) {
      __builtin_trap();
    }
  }
  const auto packet = arkmq::protocol::decode_packet(frame, version);
  if (!packet) return;  // a reason code is a valid outcome
  Bytes wire;
  arkmq::protocol::encode_packet(*packet, version, wire);
  if (wire.size() != arkmq::protocol::encoded_size(*packet, version)) __builtin_trap();
  const auto again = arkmq::protocol::decode_packet(ByteView{wire}, version);
  if (!again || *again != *packet) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (const auto version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    ByteView rest{data, size};
    for (int frames = 0; frames < 64 && !rest.empty(); ++frames) {
      FrameHeader header;
      if (arkmq::protocol::peek_frame(rest, 1u << 16, header) != FrameStatus::complete) break;
      check_frame(rest.first(header.total_size()), version);
      rest = rest.subspan(header.total_size());
    }
  }
  return 0;
}
