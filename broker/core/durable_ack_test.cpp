// Acknowledgements wait for the commit of what they acknowledge, in order (durable_gate.hpp).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/recording_durable_state.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class DurableAckTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
  std::shared_ptr<RecordingDurableState> durable = std::make_shared<RecordingDurableState>();

  Broker& make() { return make_durable_broker(fx, durable); }
};

TEST_F(DurableAckTest, PubackForAMessageOwedToADurableSessionWaitsForTheCommit) {
  Broker& broker = make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", false, session_expiry(600));
  sub.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  durable->set_auto_commit(false);

  pub.publish("t", "1", QoS::at_least_once, false, 5);
  EXPECT_TRUE(pub.received().empty());
  // The subscriber's copy waits too: a PUBLISH is never out before its record.
  EXPECT_TRUE(sub.received().empty());

  durable->commit_all();
  const auto acks = pub.received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].packet_id, 5);
  EXPECT_EQ(sub.received_of<protocol::Publish>().size(), 1U);
}

TEST_F(DurableAckTest, PacketsAfterAHeldAckKeepTheirOrder) {
  Broker& broker = make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", false, session_expiry(600));
  sub.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  durable->set_auto_commit(false);

  pub.publish("t", "1", QoS::at_least_once, false, 1);
  const auto first_ticket = durable->last_ticket();
  pub.send(protocol::Pingreq{});
  pub.publish("t", "2", QoS::at_least_once, false, 2);
  EXPECT_TRUE(pub.received().empty());

  // Only the first commit: the PINGRESP behind the first PUBACK goes, the second PUBACK waits.
  durable->commit(first_ticket);
  auto first = pub.received();
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(std::get<protocol::Puback>(first[0]).packet_id, 1);
  EXPECT_TRUE(std::holds_alternative<protocol::Pingresp>(first[1]));

  durable->commit_all();
  auto second = pub.received_of<protocol::Puback>();
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0].packet_id, 2);
}

TEST_F(DurableAckTest, AcksWithNothingDurableBehindThemAreNotHeld) {
  Broker& broker = make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");  // expiry 0: not durable
  sub.subscribe("t", QoS::at_least_once);
  durable->set_auto_commit(false);
  sub.publish("t", "1", QoS::at_least_once, false, 3);
  EXPECT_EQ(sub.received_of<protocol::Puback>().size(), 1U);
  EXPECT_EQ(sub.received_of<protocol::Publish>().size(), 1U);
}

TEST_F(DurableAckTest, ConnackSubackAndUnsubackWaitForTheirRecords) {
  Broker& broker = make();
  durable->set_auto_commit(false);
  TestClient sub(broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.version = ProtocolVersion::v5;
  connect.client_id = "sub";
  connect.clean_start = false;
  connect.properties = session_expiry(600);
  sub.send(connect);
  EXPECT_TRUE(sub.received().empty());
  durable->commit_all();
  EXPECT_EQ(sub.received_of<protocol::Connack>().size(), 1U);

  protocol::SubscriptionOptions options;
  options.max_qos = QoS::at_least_once;
  sub.send(protocol::Subscribe{1, {protocol::TopicSubscription{"t", options}}, {}});
  EXPECT_TRUE(sub.received().empty());
  durable->commit_all();
  EXPECT_EQ(sub.received_of<protocol::Suback>().size(), 1U);

  sub.send(protocol::Unsubscribe{2, {"t"}, {}});
  EXPECT_TRUE(sub.received().empty());
  durable->commit_all();
  EXPECT_EQ(sub.received_of<protocol::Unsuback>().size(), 1U);
}

TEST_F(DurableAckTest, PubrecAndPubcompOfADurablePublisherWaitForItsInboundIdReports) {
  Broker& broker = make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub", false, session_expiry(600));
  durable->set_auto_commit(false);
  pub.publish("nobody", "1", QoS::exactly_once, false, 9);
  EXPECT_TRUE(pub.received().empty());
  durable->commit_all();
  EXPECT_EQ(pub.received_of<protocol::Pubrec>().size(), 1U);
  pub.send(protocol::Pubrel{9, ReasonCode::success, {}});
  EXPECT_TRUE(pub.received().empty());
  durable->commit_all();
  EXPECT_EQ(pub.received_of<protocol::Pubcomp>().size(), 1U);
}

TEST_F(DurableAckTest, PubrelWaitsForThePubrecStageToBeCommitted) {
  Broker& broker = make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", false, session_expiry(600));
  sub.subscribe("t", QoS::exactly_once);
  pub.publish("t", "1", QoS::exactly_once, false, 1);
  const auto sent = sub.received_of<protocol::Publish>();
  ASSERT_EQ(sent.size(), 1U);
  durable->set_auto_commit(false);
  sub.send(protocol::Pubrec{sent[0].packet_id, ReasonCode::success, {}});
  EXPECT_TRUE(sub.received().empty());
  durable->commit_all();
  EXPECT_EQ(sub.received_of<protocol::Pubrel>().size(), 1U);
}

TEST_F(DurableAckTest, ACloseAfterAHeldAckStillDeliversTheAckFirst) {
  Broker& broker = make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub", false, session_expiry(600));
  durable->set_auto_commit(false);
  pub.publish("nobody", "1", QoS::exactly_once, false, 4);
  pub.send(protocol::Disconnect{ReasonCode::success, {}});
  EXPECT_FALSE(pub.closed());
  durable->commit_all();
  EXPECT_EQ(pub.received_of<protocol::Pubrec>().size(), 1U);
  EXPECT_TRUE(pub.closed());
}

// A crash at any point loses only what was never acknowledged: the committed state (what a
// restart loads) holds the message as soon as its PUBACK can leave.
TEST_F(DurableAckTest, AnAcknowledgedMessageIsAlwaysInTheCommittedState) {
  Broker& broker = make();
  auto sub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  sub->connect("sub", false, session_expiry(600));
  sub->subscribe("t", QoS::exactly_once);
  sub->transport_closed();
  sub.reset();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  durable->set_auto_commit(false);
  const auto committed = durable->last_ticket();

  pub.publish("t", "kept", QoS::exactly_once, false, 1);
  EXPECT_TRUE(pub.received().empty());
  EXPECT_TRUE(replay(durable->reports(), committed).messages.empty());  // a crash now: no PUBREC

  durable->commit_all();
  EXPECT_EQ(pub.received_of<protocol::Pubrec>().size(), 1U);
  const RestoredState after_ack = replay(durable->reports(), durable->last_ticket());
  ASSERT_EQ(after_ack.messages.size(), 1U);
  EXPECT_EQ(after_ack.messages[0].client_id, "sub");
  EXPECT_EQ(after_ack.messages[0].outbound.message->payload, "kept");
}

TEST_F(DurableAckTest, AcksReleasedByAWriterThreadAllArriveInOrder) {
  Broker& broker = make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", false, session_expiry(600));
  sub.subscribe("t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  durable->set_auto_commit(false);

  constexpr int count = 300;
  std::atomic<bool> stop{false};
  std::thread writer([&] {  // commits in groups, like the store's writer thread
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!stop.load() && std::chrono::steady_clock::now() < deadline) {
      durable->commit(durable->last_ticket());
      std::this_thread::yield();
    }
  });
  for (int i = 0; i < count; ++i) {
    pub.publish("t", std::to_string(i), QoS::at_least_once, false,
                static_cast<std::uint16_t>(i + 1));
  }
  std::vector<protocol::Puback> acks;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (acks.size() < count && std::chrono::steady_clock::now() < deadline) {
    for (auto& ack : pub.received_of<protocol::Puback>()) acks.push_back(ack);
    std::this_thread::yield();
  }
  stop = true;
  writer.join();
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) EXPECT_EQ(acks[static_cast<std::size_t>(i)].packet_id, i + 1);
}

TEST_F(DurableAckTest, WithoutADurableStateNothingIsHeld) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", false, session_expiry(600));
  sub.subscribe("t", QoS::at_least_once);
  sub.publish("t", "1", QoS::at_least_once, false, 3);
  EXPECT_EQ(sub.received_of<protocol::Puback>().size(), 1U);
  EXPECT_EQ(sub.received_of<protocol::Publish>().size(), 1U);
}

}  // namespace
}  // namespace arkmq::core::test
