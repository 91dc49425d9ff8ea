// peek_frame tests: incremental framing, size limit, malformed fixed headers.
#include <gtest/gtest.h>

#include "broker/protocol/codec_test_support.hpp"

namespace arkmq::protocol::test {
namespace {

TEST(PeekFrame, EmptyBufferNeedsMore) {
  FrameHeader header;
  EXPECT_EQ(peek_frame({}, 1024, header), FrameStatus::need_more);
}

TEST(PeekFrame, ReservedPacketTypeZeroIsMalformedFromTheFirstByte) {
  FrameHeader header;
  const auto wire = bytes({0x00});
  EXPECT_EQ(peek_frame(ByteView{wire}, 1024, header), FrameStatus::malformed);
}

TEST(PeekFrame, FiveByteRemainingLengthIsMalformed) {
  FrameHeader header;
  const auto wire = bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  EXPECT_EQ(peek_frame(ByteView{wire}, UINT32_MAX, header), FrameStatus::malformed);
}

TEST(PeekFrame, MaximumFourByteRemainingLengthIsAccepted) {
  FrameHeader header;
  const auto wire = bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F});
  EXPECT_EQ(peek_frame(ByteView{wire}, UINT32_MAX, header), FrameStatus::need_more);
  EXPECT_EQ(header.remaining_length, 268'435'455u);
  EXPECT_EQ(header.header_size, 5u);
}

TEST(PeekFrame, OversizedPacketIsRefusedBeforeTheBodyArrives) {
  FrameHeader header;
  const auto wire = bytes({0x30, 0x80, 0x08});  // remaining length 1024, no body yet
  EXPECT_EQ(peek_frame(ByteView{wire}, 1026, header), FrameStatus::too_large);
  EXPECT_EQ(header.total_size(), 1027u);
  EXPECT_EQ(peek_frame(ByteView{wire}, 1027, header), FrameStatus::need_more);
}

TEST(PeekFrame, ConcatenatedFramesAreSplitOneByOne) {
  Bytes stream;
  encode_packet(Pingreq{}, ProtocolVersion::v5, stream);
  encode_packet(Publish{"t", "payload", QoS::at_least_once, false, false, 1, {}},
                ProtocolVersion::v5, stream);
  encode_packet(Disconnect{}, ProtocolVersion::v5, stream);
  ByteView rest{stream};
  std::vector<Packet> packets;
  FrameHeader header;
  for (int guard = 0; guard < 10 && !rest.empty(); ++guard) {
    ASSERT_EQ(peek_frame(rest, 1024, header), FrameStatus::complete);
    auto packet = decode_packet(rest.first(header.total_size()), ProtocolVersion::v5);
    ASSERT_TRUE(packet.has_value());
    packets.push_back(*packet);
    rest = rest.subspan(header.total_size());
  }
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<Pingreq>(packets[0]));
  EXPECT_TRUE(std::holds_alternative<Publish>(packets[1]));
  EXPECT_TRUE(std::holds_alternative<Disconnect>(packets[2]));
}

TEST(EncodedSize, AgreesWithEncodePacketAndAppendsToExistingBytes) {
  Publish p{"a/b", std::string(300, 'z'), QoS::exactly_once, true, true, 9,
            rich_publish_properties()};
  for (const auto version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    Bytes out = bytes({0xAA});
    encode_packet(p, version, out);
    EXPECT_EQ(out.size(), 1 + encoded_size(p, version));
    EXPECT_EQ(out[0], 0xAA);
  }
}

}  // namespace
}  // namespace arkmq::protocol::test
