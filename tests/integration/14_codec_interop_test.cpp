// 14 codec interop: packets encoded by arkmq_protocol's encode_packet are understood by the
// broker under test, and every packet it sends back decodes with decode_packet. Built only when
// arkmq_protocol exists; against mosquitto it checks the codec against a reference peer.
#include <gtest/gtest.h>

#include "tests/support/broker_test.hpp"
#include "tests/support/raw_packets.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;
namespace p = arkmq::protocol;

class CodecInterop : public BrokerTest, public ::testing::WithParamInterface<p::ProtocolVersion> {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    start_broker();
  }

  p::ProtocolVersion version() const { return GetParam(); }

  // Connects a typed client and returns its decoded CONNACK.
  p::Connack connect(RawClient& client, const std::string& stem) {
    p::Connect connect;
    connect.version = version();
    connect.client_id = unique_client_id(stem);
    connect.keep_alive = 30;
    if (version() == p::ProtocolVersion::v5) {
      connect.properties.user_properties.push_back({"via", "codec"});
    }
    EXPECT_TRUE(send_packet(client, connect, version()));
    p::ReasonCode error = p::ReasonCode::success;
    auto packet = receive_packet(client, version(), Deadline(5s), &error);
    EXPECT_TRUE(packet) << "CONNACK missing or undecodable: 0x" << std::hex << int(error);
    if (!packet || !std::holds_alternative<p::Connack>(*packet)) return {};
    return std::get<p::Connack>(*packet);
  }

  template <typename T>
  T expect(RawClient& client) {
    p::ReasonCode error = p::ReasonCode::success;
    auto packet = receive_packet(client, version(), Deadline(5s), &error);
    EXPECT_TRUE(packet) << "no packet or undecodable: 0x" << std::hex << int(error);
    if (!packet) return {};
    EXPECT_TRUE(std::holds_alternative<T>(*packet)) << "got variant index " << packet->index();
    return std::holds_alternative<T>(*packet) ? std::get<T>(*packet) : T{};
  }
};

TEST_P(CodecInterop, ConnectFromTheCodecIsAcceptedAndTheConnackDecodes) {
  RawClient client(broker().port());
  const p::Connack connack = connect(client, "codec");
  EXPECT_EQ(connack.reason, p::ReasonCode::success);
  EXPECT_FALSE(connack.session_present);
}

TEST_P(CodecInterop, QoS2ExchangeDecodesPacketByPacket) {
  RawClient sub(broker().port());
  RawClient pub(broker().port());
  ASSERT_EQ(connect(sub, "codec-sub").reason, p::ReasonCode::success);
  ASSERT_EQ(connect(pub, "codec-pub").reason, p::ReasonCode::success);

  p::Subscribe subscribe;
  subscribe.packet_id = 10;
  subscribe.subscriptions.push_back({"codec/#", {p::QoS::exactly_once, false, false, 0}});
  ASSERT_TRUE(send_packet(sub, subscribe, version()));
  const auto suback = expect<p::Suback>(sub);
  EXPECT_EQ(suback.packet_id, 10);
  EXPECT_EQ(suback.reasons, (std::vector<p::ReasonCode>{p::ReasonCode::granted_qos_2}));

  p::Publish publish;
  publish.topic = "codec/t";
  publish.payload = std::string("bin\0ary", 7);
  publish.qos = p::QoS::exactly_once;
  publish.packet_id = 20;
  if (version() == p::ProtocolVersion::v5) {
    publish.properties.content_type = "application/octet-stream";
    publish.properties.user_properties.push_back({"k", "v"});
  }
  ASSERT_TRUE(send_packet(pub, publish, version()));
  EXPECT_EQ(expect<p::Pubrec>(pub).packet_id, 20);
  ASSERT_TRUE(send_packet(pub, p::Pubrel{20, p::ReasonCode::success, {}}, version()));
  EXPECT_EQ(expect<p::Pubcomp>(pub).packet_id, 20);

  const auto delivered = expect<p::Publish>(sub);
  EXPECT_EQ(delivered.topic, "codec/t");
  EXPECT_EQ(delivered.payload, publish.payload);
  EXPECT_EQ(delivered.qos, p::QoS::exactly_once);
  if (version() == p::ProtocolVersion::v5) {
    EXPECT_EQ(delivered.properties.content_type, publish.properties.content_type);
    EXPECT_EQ(delivered.properties.user_properties, publish.properties.user_properties);
  }
  ASSERT_TRUE(send_packet(sub, p::Pubrec{delivered.packet_id, p::ReasonCode::success, {}}, version()));
  EXPECT_EQ(expect<p::Pubrel>(sub).packet_id, delivered.packet_id);
  ASSERT_TRUE(send_packet(sub, p::Pubcomp{delivered.packet_id, p::ReasonCode::success, {}}, version()));

  ASSERT_TRUE(send_packet(sub, p::Pingreq{}, version()));
  expect<p::Pingresp>(sub);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, CodecInterop,
                         ::testing::Values(p::ProtocolVersion::v311, p::ProtocolVersion::v5),
                         [](const auto& param_info) {
                           return param_info.param == p::ProtocolVersion::v5 ? "v5" : "v311";
                         });

}  // namespace
}  // namespace arkmq::test
