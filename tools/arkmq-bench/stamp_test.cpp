// The payload stamp, the pre-encoded PUBLISH template and the in-place PUBLISH parser, checked
// against arkmq_protocol's decoder for both protocol versions.
#include <gtest/gtest.h>

#include <variant>

#include "broker/protocol/codec.hpp"
#include "tools/arkmq-bench/publisher.hpp"
#include "tools/arkmq-bench/stamp.hpp"
#include "tools/arkmq-bench/subscriber.hpp"

namespace arkmq::bench {
namespace {

TEST(Stamp, RoundTripsPublisherSequenceAndTime) {
  std::uint8_t payload[20] = {};
  const Stamp stamp{max_publishers - 1, (std::uint64_t{1} << sequence_bits) - 1, 0x0123456789ABCDEFULL};
  write_stamp(payload, stamp);
  EXPECT_EQ(read_stamp(payload), stamp);
}

TEST(Stamp, PayloadShorterThan16BytesIsNotAStamp) {
  const std::uint8_t payload[15] = {};
  EXPECT_FALSE(read_stamp(payload));
}

class PublishTemplateTest : public ::testing::TestWithParam<protocol::ProtocolVersion> {};

TEST_P(PublishTemplateTest, PatchedTemplateDecodesToTheIntendedPublish) {
  PublishPlan plan;
  plan.topic = "arkmq-bench/t/pairs/3";
  plan.qos = protocol::QoS::at_least_once;
  plan.size = 40;
  plan.index = 7;
  auto t = make_publish_template(plan, GetParam());
  t.bytes[t.packet_id_offset] = 0x12;
  t.bytes[t.packet_id_offset + 1] = 0x34;
  write_stamp(t.bytes.data() + t.payload_offset, Stamp{7, 99, 123456});

  auto decoded = protocol::decode_packet(t.bytes, GetParam());
  ASSERT_TRUE(decoded);
  const auto& publish = std::get<protocol::Publish>(*decoded);
  EXPECT_EQ(publish.topic, plan.topic);
  EXPECT_EQ(publish.packet_id, 0x1234);
  EXPECT_EQ(publish.payload.size(), 40U);

  protocol::FrameHeader header;
  ASSERT_EQ(protocol::peek_frame(t.bytes, 1 << 20, header), protocol::FrameStatus::complete);
  const auto view = parse_publish(t.bytes, header.header_size, GetParam());
  ASSERT_TRUE(view);
  EXPECT_EQ(view->qos, 1);
  EXPECT_EQ(view->packet_id, 0x1234);
  EXPECT_EQ(read_stamp(view->payload), (Stamp{7, 99, 123456}));
}

TEST_P(PublishTemplateTest, ParserSkipsV5PropertiesAndFindsThePayload) {
  protocol::Publish publish;
  publish.topic = "a/b";
  publish.payload = std::string(16, 'x');
  publish.qos = protocol::QoS::at_most_once;
  publish.properties.content_type = "application/octet-stream";
  publish.properties.message_expiry_interval = 30;
  protocol::Bytes bytes;
  protocol::encode_packet(publish, GetParam(), bytes);
  protocol::FrameHeader header;
  ASSERT_EQ(protocol::peek_frame(bytes, 1 << 20, header), protocol::FrameStatus::complete);
  const auto view = parse_publish(bytes, header.header_size, GetParam());
  ASSERT_TRUE(view);
  EXPECT_EQ(view->qos, 0);
  EXPECT_EQ(std::string(view->payload.begin(), view->payload.end()), publish.payload);
}

TEST_P(PublishTemplateTest, TruncatedPublishIsMalformed) {
  const std::uint8_t frame[] = {0x32, 0x03, 0x00, 0x05, 'a'};  // topic length beyond the frame
  EXPECT_FALSE(parse_publish(frame, 2, GetParam()));
}

INSTANTIATE_TEST_SUITE_P(BothVersions, PublishTemplateTest,
                         ::testing::Values(protocol::ProtocolVersion::v311,
                                           protocol::ProtocolVersion::v5));

}  // namespace
}  // namespace arkmq::bench
