// The draining graceful stop (Broker::begin_drain / drain_settled / drain, broker_drain.cpp):
// no new work is taken, acknowledgements still are, and "settled" means nothing is owed.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/recording_durable_state.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class BrokerDrain : public ::testing::Test {
 protected:
  BrokerFixture fx;
  std::shared_ptr<RecordingDurableState> durable = std::make_shared<RecordingDurableState>();

  Broker& make_durable() { return make_durable_broker(fx, durable); }
};

TEST_F(BrokerDrain, APublishWhileDrainingIsNeitherRoutedNorAcknowledged) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  sub.subscribe("t", QoS::exactly_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");

  broker.begin_drain();
  pub.publish("t", "q0", QoS::at_most_once);
  pub.publish("t", "q1", QoS::at_least_once, false, 1);
  pub.publish("t", "q2", QoS::exactly_once, false, 2);
  pub.publish("t", "retained", QoS::at_least_once, true, 3);

  EXPECT_TRUE(pub.received().empty()) << "no PUBACK/PUBREC while draining";
  EXPECT_TRUE(sub.received().empty()) << "nothing routed while draining";
  EXPECT_FALSE(pub.is_closing()) << "the publisher is ignored, not disconnected";
  EXPECT_EQ(broker.stats().retained_messages, 0U);
  EXPECT_TRUE(broker.drain_settled());
}

TEST_F(BrokerDrain, SubscribeAndConnectWhileDrainingGetNoAnswer) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  broker.begin_drain();

  protocol::SubscriptionOptions options;
  options.max_qos = QoS::at_least_once;
  sub.send(protocol::Subscribe{7, {protocol::TopicSubscription{"t", options}}, {}});
  EXPECT_TRUE(sub.received().empty()) << "no SUBACK while draining";
  EXPECT_EQ(broker.stats().subscriptions, 0U);

  TestClient late(broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.version = ProtocolVersion::v5;
  connect.client_id = "late";
  late.send(connect);
  EXPECT_TRUE(late.received().empty()) << "no CONNACK while draining";
  EXPECT_EQ(broker.stats().clients_connected, 1U);
}

TEST_F(BrokerDrain, APubackWhileDrainingIsProcessedButTheQueueIsNotPromoted) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", true, receive_maximum(1));
  sub.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "first", QoS::at_least_once, false, 1);
  pub.publish("t", "second", QoS::at_least_once, false, 2);  // queued: window of 1
  const auto sent = sub.received_of<protocol::Publish>();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].payload, "first");

  broker.begin_drain();
  EXPECT_FALSE(broker.drain_settled()) << "a message in flight awaits its PUBACK";
  sub.send(protocol::Puback{sent[0].packet_id, ReasonCode::success, {}});
  EXPECT_TRUE(broker.drain_settled()) << "the PUBACK was processed";
  EXPECT_TRUE(sub.received().empty()) << "the queued message stays queued while draining";
}

TEST_F(BrokerDrain, QosTwoExchangesInProgressCompleteWhileDraining) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  sub.subscribe("t", QoS::exactly_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "1", QoS::exactly_once, false, 5);
  ASSERT_EQ(pub.received_of<protocol::Pubrec>().size(), 1U);
  const auto sent = sub.received_of<protocol::Publish>();
  ASSERT_EQ(sent.size(), 1U);

  broker.begin_drain();
  pub.send(protocol::Pubrel{5, ReasonCode::success, {}});
  const auto pubcomps = pub.received_of<protocol::Pubcomp>();
  ASSERT_EQ(pubcomps.size(), 1U);
  EXPECT_EQ(pubcomps[0].reason, ReasonCode::success) << "the inbound id was still known";

  EXPECT_FALSE(broker.drain_settled());
  sub.send(protocol::Pubrec{sent[0].packet_id, ReasonCode::success, {}});
  EXPECT_EQ(sub.received_of<protocol::Pubrel>().size(), 1U);
  EXPECT_FALSE(broker.drain_settled()) << "awaiting PUBCOMP";
  sub.send(protocol::Pubcomp{sent[0].packet_id, ReasonCode::success, {}});
  EXPECT_TRUE(broker.drain_settled());
}

TEST_F(BrokerDrain, AnAckHeldForACommitKeepsTheDrainUnsettledUntilReleased) {
  Broker& broker = make_durable();
  {  // a durable subscriber gone offline: its messages are reported, not sent
    TestClient sub(broker, ProtocolVersion::v5);
    sub.connect("sub", false, session_expiry(600));
    sub.subscribe("t", QoS::at_least_once);
    sub.transport_closed();
  }
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  durable->set_auto_commit(false);
  pub.publish("t", "1", QoS::at_least_once, false, 9);
  ASSERT_TRUE(pub.received().empty()) << "the PUBACK waits for the commit";

  broker.begin_drain();
  EXPECT_FALSE(broker.drain_settled()) << "the publisher's gate holds its PUBACK";
  durable->commit_all();  // the store's writer keeps committing while the broker drains
  const auto acks = pub.received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].packet_id, 9);
  EXPECT_TRUE(broker.drain_settled());
}

TEST_F(BrokerDrain, ASubscribersHeldPublishAndItsAckBothCountUntilDone) {
  Broker& broker = make_durable();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", false, session_expiry(600));
  sub.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  durable->set_auto_commit(false);
  pub.publish("t", "1", QoS::at_least_once, false, 3);

  broker.begin_drain();
  EXPECT_FALSE(broker.drain_settled());
  durable->commit_all();
  ASSERT_EQ(pub.received_of<protocol::Puback>().size(), 1U);
  const auto sent = sub.received_of<protocol::Publish>();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_FALSE(broker.drain_settled()) << "the subscriber has not acknowledged yet";
  sub.send(protocol::Puback{sent[0].packet_id, ReasonCode::success, {}});
  EXPECT_TRUE(broker.drain_settled()) << "nothing is held: the removal's commit comes at stop";
}

TEST_F(BrokerDrain, DrainReturnsOnceSettledAndGivesUpAfterTheGrace) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  sub.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "1", QoS::at_least_once, false, 1);
  ASSERT_EQ(sub.received_of<protocol::Publish>().size(), 1U);

  // The subscriber never acknowledges: the grace period bounds the wait.
  const auto started = Clock::now();
  EXPECT_FALSE(broker.drain(std::chrono::milliseconds(50)));
  const auto waited = Clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(50));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST_F(BrokerDrain, DrainWithNothingOwedReturnsAtOnce) {
  Broker& broker = fx.make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  const auto started = Clock::now();
  EXPECT_TRUE(broker.drain(std::chrono::seconds(10)));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(5));
  pub.publish("t", "1", QoS::at_least_once, false, 1);
  EXPECT_TRUE(pub.received().empty()) << "drain() began draining";
}

TEST_F(BrokerDrain, ZeroGraceDoesNotDrain) {
  Broker& broker = fx.make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  EXPECT_FALSE(broker.drain(std::chrono::milliseconds(0)));
  pub.publish("t", "1", QoS::at_least_once, false, 1);
  EXPECT_EQ(pub.received_of<protocol::Puback>().size(), 1U) << "still accepting work";
}

}  // namespace
}  // namespace arkmq::core::test
