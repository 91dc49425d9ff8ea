// 03 publish/QoS: QoS 0/1/2 in both directions and both versions, ordering, and redelivery of
// unacknowledged messages with DUP after a persistent session reconnects.
#include <gtest/gtest.h>

#include <tuple>

#include "tests/support/broker_test.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

constexpr int kPuback = 4, kPubrec = 5, kPubrel = 6, kPubcomp = 7, kSuback = 9, kPublish = 3;

// (protocol version, publish QoS, subscription QoS)
class PublishQoS : public BrokerTest,
                   public ::testing::WithParamInterface<std::tuple<int, int, int>> {};

TEST_P(PublishQoS, DeliversWithTheLowerOfPublishAndSubscriptionQoS) {
  const auto [version, pub_qos, sub_qos] = GetParam();
  start_broker();
  auto sub = connected(version, "sub");
  sub->subscribe("q/t", sub_qos);
  auto pub = raw_session(version, "pub");
  const auto ack = pub->publish("q/t", "payload", pub_qos);
  ASSERT_TRUE(ack) << "no acknowledgement for the QoS " << pub_qos << " publish";
  EXPECT_LT(*ack, 0x80) << "publish refused";
  ASSERT_TRUE(sub->messages().wait_for(1, 5s));
  const auto message = sub->messages().messages()[0];
  EXPECT_EQ(message->get_payload_str(), "payload");
  EXPECT_EQ(message->get_qos(), std::min(pub_qos, sub_qos));  // [MQTT-3.8.4-8]
  EXPECT_FALSE(sub->messages().wait_for(2, 300ms)) << "delivered twice";
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, PublishQoS,
                         ::testing::Combine(::testing::Values(4, 5), ::testing::Values(0, 1, 2),
                                            ::testing::Values(0, 1, 2)),
                         [](const auto& param_info) {
                           return "v" + std::to_string(std::get<0>(param_info.param)) + "_pub" +
                                  std::to_string(std::get<1>(param_info.param)) + "_sub" +
                                  std::to_string(std::get<2>(param_info.param));
                         });

class QoSFlow : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    start_broker();
  }
};

TEST_F(QoSFlow, BrokerCompletesTheQoS2HandshakeTowardsASubscriber) {
  RawSession sub(broker().port(), 5, unique_client_id("sub"));
  ASSERT_EQ(sub.subscribe("q2/t", 2), (std::vector<std::uint8_t>{2}));
  auto pub = raw_session(5, "pub");
  ASSERT_TRUE(pub->publish("q2/t", "exactly-once", 2));
  auto publish = sub.raw().receive_type(kPublish, Deadline(5s));
  ASSERT_TRUE(publish);
  const auto view = wire::parse_publish(*publish, 5);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->qos, 2);
  EXPECT_NE(view->packet_id, 0);
  sub.raw().send(wire::ack(0x50, view->packet_id));  // PUBREC
  auto pubrel = sub.raw().receive_type(kPubrel, Deadline(5s));
  ASSERT_TRUE(pubrel);
  EXPECT_EQ(pubrel->first_byte, 0x62);  // reserved flags 0010 [MQTT-3.6.1-1]
  EXPECT_EQ(wire::packet_id_of(*pubrel), view->packet_id);
  sub.raw().send(wire::ack(0x70, view->packet_id));  // PUBCOMP
  EXPECT_EQ(sub.raw().receive(Deadline(300ms)).status, ReadStatus::timeout);
}

TEST_F(QoSFlow, BrokerAnswersPubrelWithPubcompForAnIncomingQoS2Message) {
  RawClient pub(broker().port());
  ASSERT_TRUE(pub.connect(wire::connect_spec(4, unique_client_id("pub")), Deadline(5s)));
  pub.send(wire::publish(4, "q2/in", "x", 2, 42));
  auto pubrec = pub.receive_type(kPubrec, Deadline(5s));
  ASSERT_TRUE(pubrec);
  EXPECT_EQ(wire::packet_id_of(*pubrec), 42);
  pub.send(wire::ack(0x62, 42));
  auto pubcomp = pub.receive_type(kPubcomp, Deadline(5s));
  ASSERT_TRUE(pubcomp);
  EXPECT_EQ(wire::packet_id_of(*pubcomp), 42);
}

TEST_F(QoSFlow, QoS2DuplicateBeforePubrelIsDeliveredOnce) {
  auto sub = connected(5, "sub");
  sub->subscribe("q2/dup", 2);
  RawClient pub(broker().port());
  ASSERT_TRUE(pub.connect(wire::connect_spec(5, unique_client_id("pub")), Deadline(5s)));
  pub.send(wire::publish(5, "q2/dup", "once", 2, 7));
  ASSERT_TRUE(pub.receive_type(kPubrec, Deadline(5s)));
  wire::Bytes again = wire::publish(5, "q2/dup", "once", 2, 7);
  again[0] |= 0x08;  // DUP
  pub.send(again);
  ASSERT_TRUE(pub.receive_type(kPubrec, Deadline(5s)));
  pub.send(wire::ack(0x62, 7));
  ASSERT_TRUE(pub.receive_type(kPubcomp, Deadline(5s)));
  ASSERT_TRUE(sub->messages().wait_for(1, 5s));
  EXPECT_FALSE(sub->messages().wait_for(2, 500ms)) << "QoS 2 message delivered twice [MQTT-4.3.3]";
}

TEST_F(QoSFlow, BrokerRespectsTheClientsReceiveMaximum) {
  RawClient sub(broker().port());
  wire::PropertyWriter props;
  props.u16(0x21, 2);  // Receive Maximum 2
  ASSERT_TRUE(sub.connect(wire::connect_spec(5, unique_client_id("rm"), true, 60, props.bytes()),
                          Deadline(5s)));
  sub.send(wire::subscribe(5, 1, "rm/t", 1));
  ASSERT_TRUE(sub.receive_type(kSuback, Deadline(5s)));
  auto pub = raw_session(5, "pub");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pub->publish("rm/t", std::to_string(i), 1));
  std::vector<std::uint16_t> unacked;
  for (int i = 0; i < 2; ++i) {
    auto publish = sub.receive_type(kPublish, Deadline(5s));
    ASSERT_TRUE(publish);
    unacked.push_back(wire::parse_publish(*publish, 5)->packet_id);
  }
  // A third unacknowledged QoS 1 message would exceed the window [MQTT-3.3.4-9].
  EXPECT_EQ(sub.receive(Deadline(500ms)).status, ReadStatus::timeout);
  sub.send(wire::ack(0x40, unacked[0]));
  auto next = sub.receive_type(kPublish, Deadline(5s));
  ASSERT_TRUE(next) << "no delivery after a PUBACK freed the window";
  EXPECT_EQ(wire::parse_publish(*next, 5)->payload, "2");
}

TEST_F(QoSFlow, FanOutToManyConnectionsKeepsEachStreamInOrder) {
  // Many connections land on different broker workers; each must still see the publisher's order.
  constexpr int kSubscribers = 16;
  constexpr int kMessages = 40;
  std::vector<std::unique_ptr<RawSession>> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    subs.push_back(std::make_unique<RawSession>(broker().port(), i % 2 == 0 ? 5 : 4,
                                                unique_client_id("fan")));
    ASSERT_EQ(subs.back()->subscribe("fan/t", 1).size(), 1u);
  }
  auto pub = raw_session(5, "fan-pub");
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(pub->publish("fan/t", std::to_string(i), 1));
  for (int s = 0; s < kSubscribers; ++s) {
    for (int i = 0; i < kMessages; ++i) {
      auto message = subs[static_cast<std::size_t>(s)]->next_publish(Deadline(5s));
      ASSERT_TRUE(message) << "subscriber " << s << " missed message " << i;
      ASSERT_EQ(message->payload, std::to_string(i)) << "subscriber " << s;
    }
  }
}

TEST_F(QoSFlow, ASubscriberThatNeverReadsDoesNotStallOthers) {
  RawClient stuck(broker().port());  // subscribes, then never reads a byte
  ASSERT_TRUE(stuck.connect(wire::connect_spec(4, unique_client_id("stuck")), Deadline(5s)));
  stuck.send(wire::subscribe(4, 1, "slow/t", 0));
  ASSERT_TRUE(stuck.receive_type(kSuback, Deadline(5s)));
  RawSession healthy(broker().port(), 4, unique_client_id("healthy"));
  healthy.subscribe("slow/t", 0);
  auto pub = raw_session(4, "flood");
  const std::string chunk(64 * 1024, 'f');
  constexpr int kChunks = 256;  // 16 MiB: more than socket buffers and the per-link budget
  int received = 0;
  for (int i = 0; i < kChunks; ++i) {
    ASSERT_TRUE(pub->publish("slow/t", chunk, 0)) << "publisher blocked at chunk " << i;
    // Drain the healthy subscriber as we go so only the stuck one falls behind.
    while (healthy.raw().receive(Deadline(0ms)).status == ReadStatus::frame) ++received;
  }
  ASSERT_TRUE(pub->publish("slow/t", "last", 1));
  bool last = false;
  while (!last) {
    auto message = healthy.next_publish(Deadline(10s));
    ASSERT_TRUE(message) << "healthy subscriber stalled after " << received << " messages";
    ++received;
    last = message->payload == "last";
  }
  EXPECT_GT(received, kChunks / 2) << "QoS 0 to a healthy subscriber was dropped";
}

TEST_F(QoSFlow, LargePayloadArrivesIntact) {
  RawSession sub(broker().port(), 5, unique_client_id("big-sub"));
  sub.subscribe("big/t", 1);
  auto pub = raw_session(5, "big-pub");
  std::string payload(512 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7 % 251);
  ASSERT_EQ(pub->publish("big/t", payload, 1), 0);
  auto message = sub.next_publish(Deadline(10s));
  ASSERT_TRUE(message);
  EXPECT_TRUE(message->payload == payload) << "payload of " << message->payload.size() << " bytes differs";
}

TEST_F(QoSFlow, MessagesFromOnePublisherArriveInOrder) {
  auto sub = connected(5, "sub");
  sub->subscribe("order/#", 2);
  auto pub = raw_session(5, "pub");
  std::vector<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    const int qos = i % 3;
    expected.push_back(std::to_string(i));
    // One topic per QoS keeps the ordering guarantee of [MQTT-4.6.0-5] ("same topic and QoS").
    ASSERT_TRUE(pub->publish("order/" + std::to_string(qos), expected.back(), qos));
  }
  ASSERT_TRUE(sub->messages().wait_for(60, 10s));
  std::vector<std::string> by_qos[3];
  for (const auto& message : sub->messages().messages()) {
    by_qos[message->get_topic().back() - '0'].push_back(message->get_payload_str());
  }
  for (int qos = 0; qos < 3; ++qos) {
    std::vector<std::string> wanted;
    for (int i = qos; i < 60; i += 3) wanted.push_back(std::to_string(i));
    EXPECT_EQ(by_qos[qos], wanted) << "QoS " << qos;
  }
}

class Redelivery : public BrokerTest, public ::testing::WithParamInterface<int> {
 protected:
  // A session that outlives the connection: v5 Session Expiry 300 s (Clean Start may be set on
  // the first connect), v3.1.1 Clean Session 0 (always: 1 would discard it at disconnect).
  wire::ConnectSpec persistent(const std::string& id, bool first) const {
    if (GetParam() == 4) return wire::connect_spec(4, id, false);
    wire::PropertyWriter expiry;
    expiry.u32(0x11, 300);
    return wire::connect_spec(5, id, first, 60, expiry.bytes());
  }
};

TEST_P(Redelivery, UnackedQoS1IsResentWithDupAfterReconnect) {
  const int version = GetParam();
  start_broker();
  const std::string id = unique_client_id("noack");
  wire::Frame first;
  {
    RawClient sub(broker().port());
    ASSERT_TRUE(sub.connect(persistent(id, true), Deadline(5s)));
    sub.send(wire::subscribe(version, 1, "redeliver/t", 1));
    ASSERT_TRUE(sub.receive_type(kSuback, Deadline(5s)));
    auto pub = raw_session(version, "pub");
    ASSERT_TRUE(pub->publish("redeliver/t", "again", 1));
    auto publish = sub.receive_type(kPublish, Deadline(5s));
    ASSERT_TRUE(publish);
    first = *publish;
    sub.abort();  // no PUBACK
  }
  const auto original = wire::parse_publish(first, version);
  ASSERT_TRUE(original);
  EXPECT_FALSE(original->dup);
  RawClient sub(broker().port());
  auto connack = sub.connect(persistent(id, false), Deadline(5s));
  ASSERT_TRUE(connack);
  EXPECT_TRUE(wire::parse_connack(*connack, version)->session_present);
  auto again = sub.receive_type(kPublish, Deadline(5s));
  ASSERT_TRUE(again) << "unacknowledged message not resent [MQTT-4.4.0-1]";
  const auto resent = wire::parse_publish(*again, version);
  ASSERT_TRUE(resent);
  EXPECT_TRUE(resent->dup);  // [MQTT-3.3.1-1]
  EXPECT_EQ(resent->packet_id, original->packet_id);
  EXPECT_EQ(resent->payload, "again");
  sub.send(wire::ack(0x40, resent->packet_id));
  EXPECT_EQ(sub.receive(Deadline(300ms)).status, ReadStatus::timeout);
}

TEST_P(Redelivery, QoS2ResendsPublishBeforePubrecAndPubrelAfter) {
  const int version = GetParam();
  start_broker();
  const std::string id = unique_client_id("noack2");
  std::uint16_t packet_id = 0;
  {
    RawClient sub(broker().port());
    ASSERT_TRUE(sub.connect(persistent(id, true), Deadline(5s)));
    sub.send(wire::subscribe(version, 1, "redeliver/q2", 2));
    ASSERT_TRUE(sub.receive_type(kSuback, Deadline(5s)));
    auto pub = raw_session(version, "pub");
    ASSERT_TRUE(pub->publish("redeliver/q2", "twice", 2));
    auto publish = sub.receive_type(kPublish, Deadline(5s));
    ASSERT_TRUE(publish);
    packet_id = wire::parse_publish(*publish, version)->packet_id;
    sub.abort();  // no PUBREC
  }
  {
    RawClient sub(broker().port());
    ASSERT_TRUE(sub.connect(persistent(id, false), Deadline(5s)));
    auto again = sub.receive_type(kPublish, Deadline(5s));
    ASSERT_TRUE(again);
    const auto resent = wire::parse_publish(*again, version);
    EXPECT_TRUE(resent->dup);
    EXPECT_EQ(resent->packet_id, packet_id);
    sub.send(wire::ack(0x50, packet_id));  // PUBREC, then vanish before PUBCOMP
    ASSERT_TRUE(sub.receive_type(kPubrel, Deadline(5s)));
    sub.abort();
  }
  RawClient sub(broker().port());
  ASSERT_TRUE(sub.connect(persistent(id, false), Deadline(5s)));
  const ReadResult next = sub.receive(Deadline(5s));
  ASSERT_EQ(next.status, ReadStatus::frame);
  EXPECT_EQ(next.frame.type(), kPubrel) << "after PUBREC the broker resends PUBREL, not PUBLISH";
  EXPECT_EQ(wire::packet_id_of(next.frame), packet_id);
  sub.send(wire::ack(0x70, packet_id));
  EXPECT_EQ(sub.receive(Deadline(300ms)).status, ReadStatus::timeout);
}

TEST_P(Redelivery, SeveralUnackedMessagesAreResentInTheirOriginalOrder) {
  const int version = GetParam();
  start_broker();
  const std::string id = unique_client_id("order");
  std::vector<std::uint16_t> original_ids;
  {
    RawClient sub(broker().port());
    ASSERT_TRUE(sub.connect(persistent(id, true), Deadline(5s)));
    sub.send(wire::subscribe(version, 1, "redeliver/many", 1));
    ASSERT_TRUE(sub.receive_type(kSuback, Deadline(5s)));
    auto pub = raw_session(version, "pub");
    for (const char* payload : {"a", "b", "c"}) ASSERT_TRUE(pub->publish("redeliver/many", payload, 1));
    for (int i = 0; i < 3; ++i) {
      auto publish = sub.receive_type(kPublish, Deadline(5s));
      ASSERT_TRUE(publish);
      original_ids.push_back(wire::parse_publish(*publish, version)->packet_id);
    }
    sub.abort();
  }
  RawClient sub(broker().port());
  ASSERT_TRUE(sub.connect(persistent(id, false), Deadline(5s)));
  std::vector<std::string> payloads;
  std::vector<std::uint16_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto publish = sub.receive_type(kPublish, Deadline(5s));
    ASSERT_TRUE(publish) << "message " << i << " not resent";
    const auto view = wire::parse_publish(*publish, version);
    EXPECT_TRUE(view->dup);
    payloads.push_back(view->payload);
    ids.push_back(view->packet_id);
    sub.send(wire::ack(0x40, view->packet_id));
  }
  EXPECT_EQ(payloads, (std::vector<std::string>{"a", "b", "c"}));  // [MQTT-4.6.0-1]
  EXPECT_EQ(ids, original_ids);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, Redelivery, ::testing::Values(4, 5),
                         [](const auto& param_info) { return "v" + std::to_string(param_info.param); });

}  // namespace
}  // namespace arkmq::test
