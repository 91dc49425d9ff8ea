// PUBLISH / PUBACK / PUBREC / PUBREL / PUBCOMP codec tests: round trips and golden bytes.
#include <gtest/gtest.h>

#include "broker/protocol/codec_test_support.hpp"

namespace arkmq::protocol::test {
namespace {

Publish sample_publish(QoS qos) {
  Publish p;
  p.topic = "sensors/room-1/temperature";
  p.payload = std::string("21.5\x00\xFF", 6);  // payload is binary
  p.qos = qos;
  p.packet_id = qos == QoS::at_most_once ? 0 : 4711;
  return p;
}

TEST(CodecPublish, EveryQosRoundTripsInBothVersions) {
  for (const auto version : {ProtocolVersion::v311, ProtocolVersion::v5}) {
    for (const auto qos : {QoS::at_most_once, QoS::at_least_once, QoS::exactly_once}) {
      auto p = sample_publish(qos);
      p.retain = true;
      p.dup = qos != QoS::at_most_once;
      EXPECT_EQ(round_trip(p, version), Packet{p});
    }
  }
}

TEST(CodecPublish, V5PublishWithAllPropertiesRoundTrips) {
  auto p = sample_publish(QoS::at_least_once);
  p.properties = rich_publish_properties();
  EXPECT_EQ(round_trip(p, ProtocolVersion::v5), Packet{p});
}

TEST(CodecPublish, V5PublishWithEmptyTopicAndAliasRoundTrips) {
  auto p = sample_publish(QoS::at_most_once);
  p.topic.clear();
  p.properties.topic_alias = 7;
  EXPECT_EQ(round_trip(p, ProtocolVersion::v5), Packet{p});
}

TEST(CodecPublish, EmptyPayloadRoundTrips) {
  Publish p;
  p.topic = "t";
  EXPECT_EQ(round_trip(p, ProtocolVersion::v5), Packet{p});
  EXPECT_EQ(round_trip(p, ProtocolVersion::v311), Packet{p});
}

TEST(CodecPublish, LargePayloadUsesMultiByteRemainingLength) {
  Publish p;
  p.topic = "big";
  p.payload.assign(200'000, 'x');
  const auto wire = encode(p, ProtocolVersion::v5);
  EXPECT_EQ(wire.size(), 1 + 3 + 5 + 1 + 200'000);
  EXPECT_EQ(decode(wire, ProtocolVersion::v5), Packet{p});
}

TEST(CodecPublish, V311EncodingDropsProperties) {
  auto p = sample_publish(QoS::at_least_once);
  p.properties = rich_publish_properties();
  const auto decoded = decode(encode(p, ProtocolVersion::v311), ProtocolVersion::v311);
  p.properties = {};
  EXPECT_EQ(decoded, Packet{p});
}

// Hand-derived from spec 3.3: QoS 1, topic "a/b", packet id 10, payload "hi".
TEST(CodecPublish, Qos1PublishMatchesGoldenBytes) {
  Publish p;
  p.topic = "a/b";
  p.payload = "hi";
  p.qos = QoS::at_least_once;
  p.packet_id = 10;
  const auto v311 = bytes({0x32, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i'});
  const auto v5 = bytes({0x32, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 0x00, 'h', 'i'});
  EXPECT_EQ(encode(p, ProtocolVersion::v311), v311);
  EXPECT_EQ(encode(p, ProtocolVersion::v5), v5);
  EXPECT_EQ(decode(v311, ProtocolVersion::v311), Packet{p});
  EXPECT_EQ(decode(v5, ProtocolVersion::v5), Packet{p});
}

TEST(CodecPublish, TwoSubscriptionIdentifiersAreAllowedInPublish) {
  auto p = sample_publish(QoS::at_most_once);
  p.properties.subscription_identifiers = {5, 6};
  EXPECT_EQ(round_trip(p, ProtocolVersion::v5), Packet{p});
}

template <class A>
void expect_ack_round_trips(ReasonCode failure) {
  A plain{.packet_id = 1, .reason = ReasonCode::success, .properties = {}};
  EXPECT_EQ(round_trip(plain, ProtocolVersion::v311), Packet{plain});
  EXPECT_EQ(round_trip(plain, ProtocolVersion::v5), Packet{plain});
  A reason_only{.packet_id = 65535, .reason = failure, .properties = {}};
  EXPECT_EQ(round_trip(reason_only, ProtocolVersion::v5), Packet{reason_only});
  A rich{.packet_id = 2, .reason = failure, .properties = reason_properties()};
  EXPECT_EQ(round_trip(rich, ProtocolVersion::v5), Packet{rich});
  A success_with_properties{.packet_id = 3, .reason = ReasonCode::success,
                            .properties = reason_properties()};
  EXPECT_EQ(round_trip(success_with_properties, ProtocolVersion::v5),
            Packet{success_with_properties});
}

TEST(CodecAck, PubackRoundTripsInEveryForm) {
  expect_ack_round_trips<Puback>(ReasonCode::no_matching_subscribers);
}
TEST(CodecAck, PubrecRoundTripsInEveryForm) {
  expect_ack_round_trips<Pubrec>(ReasonCode::quota_exceeded);
}
TEST(CodecAck, PubrelRoundTripsInEveryForm) {
  expect_ack_round_trips<Pubrel>(ReasonCode::packet_identifier_not_found);
}
TEST(CodecAck, PubcompRoundTripsInEveryForm) {
  expect_ack_round_trips<Pubcomp>(ReasonCode::packet_identifier_not_found);
}

TEST(CodecAck, V5SuccessWithoutPropertiesUsesTheTwoByteForm) {
  EXPECT_EQ(encode((Puback{7, ReasonCode::success, {}}), ProtocolVersion::v5),
            bytes({0x40, 0x02, 0x00, 0x07}));
  EXPECT_EQ(encode((Pubrel{7, ReasonCode::success, {}}), ProtocolVersion::v5),
            bytes({0x62, 0x02, 0x00, 0x07}));
}

TEST(CodecAck, V5ReasonWithoutPropertiesOmitsPropertyLength) {
  const auto golden = bytes({0x50, 0x03, 0x00, 0x07, 0x10});
  const Pubrec ack{7, ReasonCode::no_matching_subscribers, {}};
  EXPECT_EQ(encode(ack, ProtocolVersion::v5), golden);
  EXPECT_EQ(decode(golden, ProtocolVersion::v5), Packet{ack});
}

TEST(CodecAck, V5AckWithZeroPropertyLengthDecodes) {
  EXPECT_EQ(decode(bytes({0x70, 0x04, 0x00, 0x07, 0x00, 0x00}), ProtocolVersion::v5),
            (Packet{Pubcomp{7, ReasonCode::success, {}}}));
}

TEST(CodecAck, V311AckDropsReasonAndProperties) {
  const Puback ack{9, ReasonCode::not_authorized, reason_properties()};
  EXPECT_EQ(encode(ack, ProtocolVersion::v311), bytes({0x40, 0x02, 0x00, 0x09}));
}

}  // namespace
}  // namespace arkmq::protocol::test
