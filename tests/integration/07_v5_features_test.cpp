// 07 MQTT 5 features: topic aliases both ways, Maximum Packet Size both ways, property
// passthrough, Payload Format Indicator, Message Expiry while queued, Response Information.
#include <gtest/gtest.h>

#include <map>

#include "tests/support/broker_test.hpp"
#include "tests/support/pause.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint8_t kPayloadFormat = 0x01, kMessageExpiry = 0x02, kContentType = 0x03,
                       kResponseTopic = 0x08, kCorrelationData = 0x09,
                       kSessionExpiry = 0x11, kRequestResponseInfo = 0x19,
                       kResponseInformation = 0x1A, kReceiveMaximum = 0x21,
                       kTopicAliasMaximum = 0x22, kTopicAlias = 0x23,
                       kUserProperty = 0x26, kMaximumPacketSize = 0x27;
constexpr int kPublish = 3, kPuback = 4, kDisconnect = 14;

class V5Features : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    BrokerOptions options;
    options.mosquitto_config = "max_packet_size 2000\nmax_inflight_messages 5\n";
    options.arkmq_config = "receive_maximum = 5\n";  // max_packet_size stays at its 1 MiB default
    start_broker(options);
  }
};

TEST_F(V5Features, TopicAliasFromTheClientIsResolvedForSubscribers) {
  auto sub = connected(5, "sub");
  sub->subscribe("ta/#", 1);
  RawSession pub(broker().port(), 5, unique_client_id("alias"));
  const auto maximum = wire::find_property(pub.connack().properties, kTopicAliasMaximum);
  ASSERT_TRUE(maximum) << "CONNACK announces no Topic Alias Maximum";
  ASSERT_GE(maximum->number, 1u);
  wire::PropertyWriter alias;
  alias.u16(kTopicAlias, 1);
  EXPECT_EQ(pub.publish("ta/x", "first", 1, false, alias.bytes()), 0);
  EXPECT_EQ(pub.publish("", "second", 1, false, alias.bytes()), 0);  // [MQTT-3.3.2-12]
  ASSERT_TRUE(sub->messages().wait_for(2, 5s));
  for (const auto& message : sub->messages().messages()) EXPECT_EQ(message->get_topic(), "ta/x");
  EXPECT_EQ(sub->messages().payloads(), (std::vector<std::string>{"first", "second"}));
}

TEST_F(V5Features, TopicAliasAboveTheMaximumIsRefusedWith0x94) {
  RawSession pub(broker().port(), 5, unique_client_id("badalias"));
  const auto maximum = wire::find_property(pub.connack().properties, kTopicAliasMaximum);
  const std::uint16_t too_big = static_cast<std::uint16_t>((maximum ? maximum->number : 0) + 1);
  wire::PropertyWriter alias;
  alias.u16(kTopicAlias, too_big);
  pub.raw().send(wire::publish(5, "ta/y", "x", 1, 1, false, alias.bytes()));
  auto disconnect = pub.raw().receive_type(kDisconnect, Deadline(5s));
  ASSERT_TRUE(disconnect);
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x94);  // [MQTT-3.3.2-9]
  EXPECT_TRUE(pub.raw().expect_closed(Deadline(5s)));
}

TEST_F(V5Features, TopicAliasZeroIsRefusedWith0x94) {
  ARKMQ_ONLY("mosquitto 2.0.11 answers 0x81 where spec 3.3.2.3.4 names 0x94");
  RawSession pub(broker().port(), 5, unique_client_id("alias0"));
  wire::PropertyWriter alias;
  alias.u16(kTopicAlias, 0);
  pub.raw().send(wire::publish(5, "ta/z", "x", 0, 0, false, alias.bytes()));
  auto disconnect = pub.raw().receive_type(kDisconnect, Deadline(5s));
  ASSERT_TRUE(disconnect);
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x94);  // [MQTT-3.3.2-8]
  EXPECT_TRUE(pub.raw().expect_closed(Deadline(5s)));
}

TEST_F(V5Features, ExceedingTheReceiveMaximumIsRefusedWith0x93) {
  ARKMQ_ONLY("mosquitto 2.0.11 does not enforce its announced Receive Maximum");
  RawSession pub(broker().port(), 5, unique_client_id("flood"));
  const auto announced = wire::find_property(pub.connack().properties, kReceiveMaximum);
  ASSERT_TRUE(announced) << "CONNACK announces no Receive Maximum";
  ASSERT_LE(announced->number, 5u) << "the fixture configures 5";
  // QoS 2 messages stay in flight until PUBREL, which this client never sends.
  for (std::uint32_t i = 1; i <= announced->number + 1; ++i) {
    pub.raw().send(wire::publish(5, "flood/t", "x", 2, static_cast<std::uint16_t>(i)));
  }
  std::optional<wire::Frame> disconnect = pub.raw().receive_type(kDisconnect, Deadline(5s));
  ASSERT_TRUE(disconnect) << "no DISCONNECT after Receive Maximum + 1 in-flight messages";
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x93);  // [MQTT-3.3.4-9]
  EXPECT_TRUE(pub.raw().expect_closed(Deadline(5s)));
}

// Follows the alias mapping a subscriber must keep and returns the resolved topics.
std::vector<std::string> resolve_aliases(RawClient& client, int count, std::uint16_t maximum) {
  std::map<std::uint32_t, std::string> aliases;
  std::vector<std::string> topics;
  for (int i = 0; i < count; ++i) {
    auto frame = client.receive_type(kPublish, Deadline(5s));
    if (!frame) break;
    auto view = wire::parse_publish(*frame, 5);
    if (!view) break;
    client.send(wire::ack(0x40, view->packet_id));
    const auto alias = wire::find_property(view->properties, kTopicAlias);
    if (alias) {
      EXPECT_GE(alias->number, 1u);
      EXPECT_LE(alias->number, maximum) << "alias beyond the client's maximum [MQTT-3.3.2-10]";
      if (view->topic.empty()) {
        EXPECT_TRUE(aliases.count(alias->number)) << "unknown alias " << alias->number;
        view->topic = aliases[alias->number];
      } else {
        aliases[alias->number] = view->topic;
      }
    } else {
      EXPECT_FALSE(view->topic.empty()) << "empty topic without an alias";
    }
    topics.push_back(view->topic);
  }
  return topics;
}

TEST_F(V5Features, TopicAliasesTowardsTheClientStayWithinItsMaximum) {
  wire::PropertyWriter connect_props;
  connect_props.u16(kTopicAliasMaximum, 2);
  RawSession with_aliases(broker().port(), 5, unique_client_id("aliases"), true, connect_props.bytes());
  with_aliases.subscribe("tb/#", 1);
  RawSession without(broker().port(), 5, unique_client_id("noaliases"));
  without.subscribe("tb/#", 1);
  auto pub = raw_session(5, "pub");
  std::vector<std::string> expected;
  for (const char* topic : {"tb/a", "tb/b", "tb/c", "tb/a", "tb/b", "tb/c", "tb/a", "tb/a"}) {
    expected.push_back(topic);
    ASSERT_TRUE(pub->publish(topic, "x", 1));
  }
  EXPECT_EQ(resolve_aliases(with_aliases.raw(), 8, 2), expected);
  // Topic Alias Maximum absent means 0: the broker must not send any alias [MQTT-3.3.2-10].
  EXPECT_EQ(resolve_aliases(without.raw(), 8, 0), expected);
}

TEST_F(V5Features, MessagesLargerThanTheClientMaximumPacketSizeAreNotSent) {
  wire::PropertyWriter connect_props;
  connect_props.u32(kMaximumPacketSize, 200);
  RawSession sub(broker().port(), 5, unique_client_id("small"), true, connect_props.bytes());
  sub.subscribe("mps/#", 1);
  auto pub = raw_session(5, "pub");
  ASSERT_TRUE(pub->publish("mps/big", std::string(500, 'b'), 1));
  ASSERT_TRUE(pub->publish("mps/small", "fits", 1));
  auto message = sub.next_publish(Deadline(5s));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->payload, "fits") << "a packet over the client's limit was sent [MQTT-3.1.2-24]";
}

TEST_F(V5Features, PacketLargerThanTheBrokerMaximumIsRefusedWith0x95) {
  RawSession pub(broker().port(), 5, unique_client_id("huge"));
  const auto maximum = wire::find_property(pub.connack().properties, kMaximumPacketSize);
  ASSERT_TRUE(maximum) << "CONNACK announces no Maximum Packet Size";
  pub.raw().send(wire::publish(5, "mps/huge", std::string(maximum->number + 16, 'h'), 0));
  auto disconnect = pub.raw().receive_type(kDisconnect, Deadline(5s));
  ASSERT_TRUE(disconnect);
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x95);  // [MQTT-3.2.2-15]
  EXPECT_TRUE(pub.raw().expect_closed(Deadline(5s)));
}

TEST_F(V5Features, ApplicationPropertiesPassThroughUnchanged) {
  RawSession sub(broker().port(), 5, unique_client_id("props"));
  sub.subscribe("props/t", 1);
  auto pub = raw_session(5, "pub");
  wire::PropertyWriter props;
  props.byte(kPayloadFormat, 1)
      .string(kContentType, "application/json")
      .string(kResponseTopic, "props/reply")
      .string(kCorrelationData, std::string("\x00\x01\xFF", 3))
      .pair(kUserProperty, "k", "v1")
      .pair(kUserProperty, "k", "v2")
      .pair(kUserProperty, "other", "x");
  ASSERT_EQ(pub->publish("props/t", "{}", 1, false, props.bytes()), 0);
  auto message = sub.next_publish(Deadline(5s));
  ASSERT_TRUE(message);
  const auto& p = message->properties;
  EXPECT_EQ(wire::find_property(p, kPayloadFormat)->number, 1u);  // [MQTT-3.3.2-4]
  EXPECT_EQ(wire::find_property(p, kContentType)->text, "application/json");
  EXPECT_EQ(wire::find_property(p, kResponseTopic)->text, "props/reply");
  EXPECT_EQ(wire::find_property(p, kCorrelationData)->text, std::string("\x00\x01\xFF", 3));
  std::vector<std::pair<std::string, std::string>> user;
  const auto [begin, end] = p.equal_range(kUserProperty);
  for (auto it = begin; it != end; ++it) user.emplace_back(it->second.text, it->second.text2);
  // Same pairs in the same order [MQTT-3.3.2-17], [MQTT-3.3.2-18].
  EXPECT_EQ(user, (std::vector<std::pair<std::string, std::string>>{
                      {"k", "v1"}, {"k", "v2"}, {"other", "x"}}));
}

TEST_F(V5Features, InvalidUtf8PayloadMarkedAsUtf8IsRefusedWith0x99) {
  ARKMQ_ONLY("mosquitto 2.0.11 does not validate payloads (a MAY in spec 3.3.2.3.2); arkmq does");
  RawSession pub(broker().port(), 5, unique_client_id("pfi"));
  wire::PropertyWriter props;
  props.byte(kPayloadFormat, 1);
  pub.raw().send(wire::publish(5, "pfi/t", "\xC3\x28 not utf-8", 1, 5, false, props.bytes()));
  // The receiver may answer with PUBACK 0x99 or DISCONNECT 0x99 (spec 3.3.2.3.2).
  const ReadResult answer = pub.raw().receive(Deadline(5s));
  ASSERT_EQ(answer.status, ReadStatus::frame);
  if (answer.frame.type() == kPuback) {
    EXPECT_EQ(wire::ack_reason(answer.frame), 0x99);
  } else {
    ASSERT_EQ(answer.frame.type(), kDisconnect);
    EXPECT_EQ(wire::disconnect_reason(answer.frame), 0x99);
  }
}

TEST_F(V5Features, MessageExpiresWhileQueuedForAnOfflineSession) {
  const std::string id = unique_client_id("expiry");
  wire::PropertyWriter session;
  session.u32(kSessionExpiry, 300);
  {
    RawSession sub(broker().port(), 5, id, true, session.bytes());
    sub.subscribe("exp/t", 1);
    sub.disconnect();
    ASSERT_TRUE(sub.raw().expect_closed(Deadline(5s)));
  }
  auto pub = raw_session(5, "pub");
  wire::PropertyWriter short_lived;
  short_lived.u32(kMessageExpiry, 1);
  wire::PropertyWriter long_lived;
  long_lived.u32(kMessageExpiry, 60);
  ASSERT_TRUE(pub->publish("exp/t", "short", 1, false, short_lived.bytes()));
  ASSERT_TRUE(pub->publish("exp/t", "long", 1, false, long_lived.bytes()));
  let_time_pass(2500ms);  // the expiry interval itself is under test
  RawSession back(broker().port(), 5, id, false, session.bytes());
  auto message = back.next_publish(Deadline(5s));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->payload, "long") << "expired message delivered [MQTT-3.3.2-5]";
  const auto remaining = wire::find_property(message->properties, kMessageExpiry);
  ASSERT_TRUE(remaining);
  EXPECT_LE(remaining->number, 58u) << "expiry not reduced by the time queued [MQTT-3.3.2-6]";
  EXPECT_GE(remaining->number, 50u);
}

TEST_F(V5Features, ResponseInformationIsReturnedOnlyWhenRequested) {
  ARKMQ_ONLY("mosquitto 2.0.11 does not support Response Information");
  const std::string id = unique_client_id("rri");
  wire::PropertyWriter request;
  request.byte(kRequestResponseInfo, 1);
  RawSession asked(broker().port(), 5, id, true, request.bytes());
  const auto info = wire::find_property(asked.connack().properties, kResponseInformation);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->text, "$svc/inbox/" + id + "/");  // docs/protocol.md, the services inbox
  RawSession not_asked(broker().port(), 5, unique_client_id("norri"));
  EXPECT_FALSE(wire::find_property(not_asked.connack().properties, kResponseInformation));
}

}  // namespace
}  // namespace arkmq::test
