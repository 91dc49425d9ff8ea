// The inbound PUBLISH pipeline: validation, topic aliases, authorization, acks, passthrough.
#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class PublishTest : public ::testing::Test {
 protected:
  BrokerFixture fx;

  // A connected v5 publisher and subscriber (subscribed to "#" with QoS 2).
  void start(ProtocolVersion version = ProtocolVersion::v5) {
    Broker& broker = fx.make();
    pub = std::make_unique<TestClient>(broker, version);
    pub->connect("pub");
    sub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
    sub->connect("sub");
    sub->subscribe("#", QoS::exactly_once);
  }

  ReasonCode expect_disconnect(TestClient& c) {
    const auto disconnects = c.received_of<protocol::Disconnect>();
    EXPECT_EQ(disconnects.size(), 1U);
    EXPECT_TRUE(c.closed());
    return disconnects.empty() ? ReasonCode::success : disconnects[0].reason;
  }

  std::unique_ptr<TestClient> pub;
  std::unique_ptr<TestClient> sub;
};

TEST_F(PublishTest, QoS0IsDeliveredToTheSubscriber) {
  start();
  pub->publish("a/b", "hello");
  const auto got = sub->received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].topic, "a/b");
  EXPECT_EQ(got[0].payload, "hello");
  EXPECT_EQ(got[0].qos, QoS::at_most_once);
  EXPECT_FALSE(got[0].retain);
  EXPECT_TRUE(pub->received().empty());  // no ack for QoS 0
}

TEST_F(PublishTest, RequestResponsePropertiesAreForwardedUntouched) {
  start();
  protocol::Properties p;
  p.payload_format_indicator = 1;
  p.content_type = "application/json";
  p.response_topic = "reply/pub/";
  p.correlation_data = std::string("\x00\x01\xff", 3);
  p.user_properties = {{"k", "v"}, {"k", "w"}};
  p.topic_alias = 1;
  pub->publish("svc/x", "{}", QoS::at_least_once, false, 7, p);
  const auto got = sub->received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].properties.payload_format_indicator, 1);
  EXPECT_EQ(got[0].properties.content_type, "application/json");
  EXPECT_EQ(got[0].properties.response_topic, "reply/pub/");
  EXPECT_EQ(got[0].properties.correlation_data, std::string("\x00\x01\xff", 3));
  EXPECT_EQ(got[0].properties.user_properties, p.user_properties);
  EXPECT_FALSE(got[0].properties.topic_alias);  // never forwarded
}

TEST_F(PublishTest, TopicAliasStandsInForTheTopic) {
  start();
  protocol::Properties p;
  p.topic_alias = 3;
  pub->publish("long/topic", "1", QoS::at_most_once, false, 0, p);
  pub->publish("", "2", QoS::at_most_once, false, 0, p);
  const auto got = sub->received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[1].topic, "long/topic");
  EXPECT_EQ(got[1].payload, "2");
}

TEST_F(PublishTest, BrokerUsesTopicAliasesWhenTheClientAllowsThem) {
  Broker& broker = fx.make();
  protocol::Properties allow_one;
  allow_one.topic_alias_maximum = 1;
  TestClient s(broker, ProtocolVersion::v5);
  s.connect("s", true, allow_one);
  s.subscribe("#", QoS::at_least_once);
  TestClient plain(broker, ProtocolVersion::v5);
  plain.connect("plain");
  plain.subscribe("#", QoS::at_least_once);
  TestClient p(broker, ProtocolVersion::v5);
  p.connect("p");
  p.publish("a/b", "1", QoS::at_least_once);
  p.publish("a/b", "2");
  p.publish("c", "3");
  const auto got = s.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].topic, "a/b");  // alias set up
  EXPECT_EQ(got[0].properties.topic_alias, 1);
  EXPECT_EQ(got[1].topic, "");  // alias alone
  EXPECT_EQ(got[1].properties.topic_alias, 1);
  EXPECT_EQ(got[2].topic, "c");  // no free alias: full topic
  EXPECT_FALSE(got[2].properties.topic_alias);
  for (const auto& publish : plain.received_of<protocol::Publish>()) {
    EXPECT_FALSE(publish.properties.topic_alias);  // Topic Alias Maximum 0 [MQTT-3.3.2-11]
    EXPECT_FALSE(publish.topic.empty());
  }
}

TEST_F(PublishTest, TopicAliasZeroIsInvalid) {
  start();
  protocol::Properties p;
  p.topic_alias = 0;
  pub->publish("a", "1", QoS::at_most_once, false, 0, p);
  EXPECT_EQ(expect_disconnect(*pub), ReasonCode::topic_alias_invalid);
}

TEST_F(PublishTest, TopicAliasAboveMaximumIsInvalid) {
  fx.config.topic_alias_maximum = 2;
  start();
  protocol::Properties p;
  p.topic_alias = 3;
  pub->publish("a", "1", QoS::at_most_once, false, 0, p);
  EXPECT_EQ(expect_disconnect(*pub), ReasonCode::topic_alias_invalid);
}

TEST_F(PublishTest, UnknownAliasWithEmptyTopicIsAProtocolError) {
  start();
  protocol::Properties p;
  p.topic_alias = 1;
  pub->publish("", "1", QoS::at_most_once, false, 0, p);
  EXPECT_EQ(expect_disconnect(*pub), ReasonCode::protocol_error);
  EXPECT_TRUE(sub->received_of<protocol::Publish>().empty());
}

TEST_F(PublishTest, WildcardTopicNameIsDisconnect0x90) {
  start();
  pub->publish("a/+", "1");
  EXPECT_EQ(expect_disconnect(*pub), ReasonCode::topic_name_invalid);
}

TEST_F(PublishTest, WildcardTopicNameClosesV311Silently) {
  start(ProtocolVersion::v311);
  pub->publish("a/#", "1");
  EXPECT_TRUE(pub->closed());
  EXPECT_TRUE(pub->received().empty());
}

TEST_F(PublishTest, QoSAboveMaximumIsDisconnect0x9B) {
  fx.config.maximum_qos = 1;
  start();
  pub->publish("a", "1", QoS::exactly_once);
  EXPECT_EQ(expect_disconnect(*pub), ReasonCode::qos_not_supported);
}

TEST_F(PublishTest, RetainWhenNotAvailableIsDisconnect0x9A) {
  fx.config.retain_available = false;
  start();
  pub->publish("a", "1", QoS::at_most_once, true);
  EXPECT_EQ(expect_disconnect(*pub), ReasonCode::retain_not_supported);
}

TEST_F(PublishTest, InvalidUtf8WithPayloadFormat1IsRefusedWith0x99) {
  start();
  protocol::Properties p;
  p.payload_format_indicator = 1;
  pub->publish("a", "\xff\xfe", QoS::at_least_once, false, 5, p);
  const auto acks = pub->received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].packet_id, 5);
  EXPECT_EQ(acks[0].reason, ReasonCode::payload_format_invalid);
  EXPECT_TRUE(sub->received_of<protocol::Publish>().empty());
  pub->publish("a", "\xff\xfe", QoS::at_most_once, false, 0, p);
  EXPECT_EQ(expect_disconnect(*pub), ReasonCode::payload_format_invalid);
}

TEST_F(PublishTest, PublishToDollarTopicIsNotAuthorized) {
  start();
  sub->subscribe("$internal/x", QoS::at_least_once);
  pub->publish("$internal/x", "1", QoS::at_least_once, false, 9);
  const auto acks = pub->received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].reason, ReasonCode::not_authorized);
  EXPECT_TRUE(sub->received_of<protocol::Publish>().empty());
}

TEST_F(PublishTest, AuthorizerDenialIs0x87ForV5) {
  fx.policy->denied.push_back({Action::publish, "secret"});
  start();
  pub->publish("secret", "1", QoS::exactly_once, false, 4);
  const auto recs = pub->received_of<protocol::Pubrec>();
  ASSERT_EQ(recs.size(), 1U);
  EXPECT_EQ(recs[0].reason, ReasonCode::not_authorized);
  EXPECT_TRUE(sub->received_of<protocol::Publish>().empty());
  EXPECT_FALSE(pub->closed());
}

TEST_F(PublishTest, AuthorizerDenialIsAckedAndDroppedForV311) {
  fx.policy->denied.push_back({Action::publish, "secret"});
  start(ProtocolVersion::v311);
  pub->publish("secret", "1", QoS::at_least_once, false, 4);
  const auto acks = pub->received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].reason, ReasonCode::success);
  EXPECT_TRUE(sub->received_of<protocol::Publish>().empty());
}

TEST_F(PublishTest, NegativeAckCarriesAReasonStringUnlessProblemInformationIsOff) {
  fx.policy->denied.push_back({Action::publish, "secret"});
  Broker& broker = fx.make();
  TestClient chatty(broker, ProtocolVersion::v5);
  chatty.connect("a");
  chatty.publish("secret", "1", QoS::at_least_once);
  const auto acks = chatty.received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_TRUE(acks[0].properties.reason_string);
  protocol::Properties quiet_props;
  quiet_props.request_problem_information = 0;
  TestClient quiet(broker, ProtocolVersion::v5);
  quiet.connect("b", true, quiet_props);
  quiet.publish("secret", "1", QoS::at_least_once);
  const auto quiet_acks = quiet.received_of<protocol::Puback>();
  ASSERT_EQ(quiet_acks.size(), 1U);
  EXPECT_EQ(quiet_acks[0].reason, ReasonCode::not_authorized);
  EXPECT_FALSE(quiet_acks[0].properties.reason_string);  // [MQTT-3.1.2-29]
}

TEST_F(PublishTest, NoMatchingSubscribersIsReason0x10ForV5) {
  Broker& broker = fx.make();
  TestClient v5(broker, ProtocolVersion::v5);
  v5.connect("a");
  v5.publish("nobody/here", "1", QoS::at_least_once, false, 2);
  const auto acks = v5.received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].reason, ReasonCode::no_matching_subscribers);
  TestClient v311(broker, ProtocolVersion::v311);
  v311.connect("b");
  v311.publish("nobody/here", "1", QoS::at_least_once, false, 2);
  const auto acks311 = v311.received_of<protocol::Puback>();
  ASSERT_EQ(acks311.size(), 1U);
  EXPECT_EQ(acks311[0].reason, ReasonCode::success);
}

TEST_F(PublishTest, ReceiveAuthorizationIsCheckedPerSubscriber) {
  fx.policy->denied.push_back({Action::receive, "private"});
  start();
  pub->publish("private", "1");
  pub->publish("public", "2");
  const auto got = sub->received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].topic, "public");
}

TEST_F(PublishTest, MessageExpiryCountsDownWhileQueued) {
  Broker& broker = fx.make();
  const protocol::Properties persistent = session_expiry(600);
  {
    TestClient s(broker, ProtocolVersion::v5);
    s.connect("sub", false, persistent);
    s.subscribe("t/#", QoS::at_least_once);
    s.send(protocol::Disconnect{});
  }
  TestClient p(broker, ProtocolVersion::v5);
  p.connect("pub");
  protocol::Properties expiring;
  expiring.message_expiry_interval = 100;
  p.publish("t/long", "1", QoS::at_least_once, false, 1, expiring);
  expiring.message_expiry_interval = 10;
  p.publish("t/short", "2", QoS::at_least_once, false, 2, expiring);
  TestClient s(broker, ProtocolVersion::v5, t0() + 30s);
  s.set_now(t0() + 30s);
  EXPECT_TRUE(s.connect("sub", false, persistent).session_present);
  const auto got = s.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);  // t/short expired while queued [MQTT-3.3.2-5]
  EXPECT_EQ(got[0].topic, "t/long");
  EXPECT_EQ(got[0].properties.message_expiry_interval, 70U);  // [MQTT-3.3.2-6]
}

TEST_F(PublishTest, StatsCountMessagesAndBytes) {
  start();
  const auto before = fx.broker->stats();
  pub->publish("a", "1");
  const auto after = fx.broker->stats();
  EXPECT_EQ(after.messages_received, before.messages_received + 1);
  EXPECT_EQ(after.messages_sent, before.messages_sent + 1);
  EXPECT_GT(after.bytes_received, before.bytes_received);
  EXPECT_GT(after.bytes_sent, before.bytes_sent);
}

TEST_F(PublishTest, SubscriptionIdentifierFromAClientIsAProtocolError) {
  start();
  protocol::Properties p;
  p.subscription_identifiers = {7};
  pub->publish("t", "1", QoS::at_most_once, false, 0, p);
  const auto disconnects = pub->received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::protocol_error);  // [MQTT-3.3.4-6]
  EXPECT_TRUE(sub->received_of<protocol::Publish>().empty());
}

}  // namespace
}  // namespace arkmq::core::test
