// What the core reports to the DurableState over a session's life, and what restore brings back
// (durable_state.hpp). A recording fake stands in for the store; acknowledgement waits are in
// durable_ack_test.cpp.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/core/durable_state.hpp"
#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/recording_durable_state.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class DurableStateTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
  std::shared_ptr<RecordingDurableState> durable = std::make_shared<RecordingDurableState>();

  Broker& make() { return make_durable_broker(fx, durable); }
};

TEST_F(DurableStateTest, SessionsWithExpiryZeroReportNothing) {
  Broker& broker = make();
  TestClient client(broker, ProtocolVersion::v5);
  client.connect("plain", false);
  client.subscribe("t", QoS::exactly_once);
  client.publish("t", "x", QoS::at_least_once, false, 1);
  client.publish("t", "y", QoS::exactly_once, false, 2);
  client.send(protocol::Pubrel{2, ReasonCode::success, {}});
  client.transport_closed();
  EXPECT_THAT(durable->take(), IsEmpty());
}

TEST_F(DurableStateTest, ADurableSessionReportsItsSubscriptionsMessagesAndOfflineTime) {
  Broker& broker = make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  auto sub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  sub->connect("sub", false, session_expiry(600));
  sub->subscribe("t", QoS::at_least_once);
  sub->subscribe("$share/g/s", QoS::at_least_once);
  EXPECT_THAT(durable->take(), ElementsAre("save_session sub 600 online",
                                           "save_subscription sub t",
                                           "save_subscription sub $share/g/s"));

  pub.publish("t", "1", QoS::at_least_once, false, 1);
  const auto sent = sub->received_of<protocol::Publish>();
  ASSERT_EQ(sent.size(), 1U);
  sub->send(protocol::Puback{sent[0].packet_id, ReasonCode::success, {}});
  EXPECT_THAT(durable->take(), ElementsAre("save_message sub #1 pid=1 puback",
                                           "remove_message sub #1"));

  sub->transport_closed();
  sub.reset();
  pub.publish("t", "2", QoS::at_least_once, false, 2);
  pub.publish("t", "zero", QoS::at_most_once);  // QoS 0 is not kept for offline sessions
  EXPECT_THAT(durable->take(), ElementsAre("save_session sub 600 offline",
                                           "save_message sub #2 queued"));

  TestClient again(broker, ProtocolVersion::v5);
  EXPECT_TRUE(again.connect("sub", false, session_expiry(300)).session_present);
  EXPECT_THAT(durable->take(), ElementsAre("save_session sub 300 online",
                                           "save_message sub #2 pid=2 puback"));
  again.send(protocol::Unsubscribe{3, {"t"}, {}});
  EXPECT_THAT(durable->take(), ElementsAre("remove_subscription sub t"));
}

TEST_F(DurableStateTest, QoS2OutboundStagesAreReportedUntilPubcomp) {
  Broker& broker = make();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", false, session_expiry(600));
  sub.subscribe("t", QoS::exactly_once);
  durable->take();

  pub.publish("t", "1", QoS::exactly_once, false, 1);
  const auto sent = sub.received_of<protocol::Publish>();
  ASSERT_EQ(sent.size(), 1U);
  sub.send(protocol::Pubrec{sent[0].packet_id, ReasonCode::success, {}});
  sub.send(protocol::Pubcomp{sent[0].packet_id, ReasonCode::success, {}});
  EXPECT_THAT(durable->take(), ElementsAre("save_message sub #1 pid=1 pubrec",
                                           "save_message sub #1 pid=1 pubcomp",
                                           "remove_message sub #1"));
}

TEST_F(DurableStateTest, InboundQoS2IdIsRecordedBeforeTheRoutedCopyAndRemovedAtPubrel) {
  Broker& broker = make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub", false, session_expiry(600));
  sub.subscribe("t", QoS::exactly_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub", false, session_expiry(600));
  durable->take();

  pub.publish("t", "1", QoS::exactly_once, false, 7);
  pub.send(protocol::Pubrel{7, ReasonCode::success, {}});
  // The id first: once a subscriber's copy is committed, a resent PUBLISH is never routed again.
  EXPECT_THAT(durable->take(), ElementsAre("add_inbound_qos2 pub 7",
                                           "save_message sub #1 pid=1 pubrec",
                                           "remove_inbound_qos2 pub 7"));
}

TEST_F(DurableStateTest, CleanStartRemovesTheSessionAndStartsANewOne) {
  Broker& broker = make();
  auto first = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  first->connect("c", false, session_expiry(600));
  first->subscribe("t");
  first->transport_closed();
  first.reset();
  durable->take();

  TestClient again(broker, ProtocolVersion::v5);
  EXPECT_FALSE(again.connect("c", true, session_expiry(600)).session_present);
  EXPECT_THAT(durable->take(), ElementsAre("remove_session c", "save_session c 600 online"));
}

TEST_F(DurableStateTest, TakeoverSavesTheOldConnectionsEndThenTheResumedSession) {
  Broker& broker = make();
  TestClient first(broker, ProtocolVersion::v5);
  first.connect("c", false, session_expiry(600));
  durable->take();
  TestClient second(broker, ProtocolVersion::v5);
  EXPECT_TRUE(second.connect("c", false, session_expiry(600)).session_present);
  EXPECT_THAT(durable->take(), ElementsAre("save_session c 600 offline",
                                           "save_session c 600 online"));
}

TEST_F(DurableStateTest, ExpirySetToZeroAtDisconnectRemovesTheSession) {
  Broker& broker = make();
  TestClient client(broker, ProtocolVersion::v5);
  client.connect("c", false, session_expiry(600));
  client.subscribe("t");
  durable->take();
  protocol::Disconnect disconnect{ReasonCode::success, {}};
  disconnect.properties.session_expiry_interval = 0;  // [MQTT-3.14.2-2] allows >0 -> 0
  client.send(disconnect);
  EXPECT_THAT(durable->take(), ElementsAre("remove_session c"));
}

TEST_F(DurableStateTest, ResumingWithExpiryZeroRemovesTheRecord) {
  Broker& broker = make();
  auto first = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  first->connect("c", false, session_expiry(600));
  first->transport_closed();
  first.reset();
  durable->take();
  TestClient again(broker, ProtocolVersion::v5);
  EXPECT_TRUE(again.connect("c", false).session_present);
  EXPECT_THAT(durable->take(), ElementsAre("remove_session c"));
  again.subscribe("t");
  again.transport_closed();
  EXPECT_THAT(durable->take(), IsEmpty());
}

TEST_F(DurableStateTest, AnExpiredSessionIsRemovedAtTheNextTick) {
  Broker& broker = make();
  auto client = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  client->connect("c", false, session_expiry(10));
  client->transport_closed();
  client.reset();
  durable->take();
  broker.tick(t0() + 5s);
  EXPECT_THAT(durable->take(), IsEmpty());
  broker.tick(t0() + 11s);
  EXPECT_THAT(durable->take(), ElementsAre("remove_session c"));
}

TEST_F(DurableStateTest, V311CleanSessionZeroIsDurableWithTheMaximumExpiry) {
  fx.config.max_session_expiry = 3600;
  Broker& broker = make();
  TestClient client(broker, ProtocolVersion::v311);
  client.connect("old", false);
  EXPECT_THAT(durable->take(), ElementsAre("save_session old 3600 online"));
}

TEST_F(DurableStateTest, RetainedChangesFromClientsAreReportedButNotTheBrokersOwnTopics) {
  fx.config.sys_interval = 1s;
  Broker& broker = fx.make_with_sys();
  durable->set_auto_commit(true);
  broker.set_durable_state(durable);
  TestClient client(broker, ProtocolVersion::v5);
  client.connect("c");
  client.publish("r", "v", QoS::at_least_once, true, 1);
  client.publish("r", "", QoS::at_most_once, true);
  client.publish("never", "", QoS::at_most_once, true);  // nothing to clear: nothing reported
  broker.tick(t0());                                     // $SYS topics are retained, not kept
  EXPECT_THAT(durable->take(), ElementsAre("save_retained r", "remove_retained r"));
}

TEST_F(DurableStateTest, AWillPublishedWhenTheConnectionIsLostUpdatesTheRetainedRecord) {
  Broker& broker = make();
  TestClient client(broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "w";
  connect.will = protocol::Will{"last/w", "gone", QoS::at_least_once, true, {}};
  client.connect(std::move(connect));
  client.transport_closed();
  EXPECT_THAT(durable->take(), ElementsAre("save_retained last/w"));
}

TEST_F(DurableStateTest, ExpiredAndDroppedQueuedMessagesAreRemoved) {
  Broker& broker = make();
  auto sub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  sub->connect("sub", false, session_expiry(600));
  sub->subscribe("t", QoS::at_least_once);
  sub->transport_closed();
  sub.reset();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  protocol::Properties expiring;
  expiring.message_expiry_interval = 5;
  pub.publish("t", "short", QoS::at_least_once, false, 1, expiring);
  durable->take();
  broker.tick(t0() + 6s);
  EXPECT_THAT(durable->take(), ElementsAre("remove_message sub #1"));
}

}  // namespace
}  // namespace arkmq::core::test
