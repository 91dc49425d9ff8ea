// Restore: what a store loaded comes back as offline sessions with their subscriptions, queued
// and in-flight messages, inbound QoS 2 ids and retained messages (Broker::restore). The
// "store" is the replay of a recording fake's reports, as a restart after a crash would see it.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/recording_durable_state.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class DurableRestoreTest : public ::testing::Test {
 protected:
  BrokerFixture before;
  BrokerFixture after;
  std::shared_ptr<RecordingDurableState> first = std::make_shared<RecordingDurableState>();
  std::shared_ptr<RecordingDurableState> second = std::make_shared<RecordingDurableState>();

  Broker& make_first() { return make_durable_broker(before, first); }
  // A new broker loaded from everything the first one committed ("kill -9" now).
  Broker& restart(Clock::time_point now) {
    Broker& broker = after.make();
    broker.restore(replay(first->reports(), first->last_ticket()), now);
    second->set_auto_commit(true);
    broker.set_durable_state(second);
    return broker;
  }
};

TEST_F(DurableRestoreTest, ResumeAfterRestartResendsInFlightWithDupThenTheQueue) {
  Broker& broker = make_first();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  auto sub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  sub->connect("sub", false, receive_maximum(2, 600));
  sub->subscribe("t", QoS::exactly_once);
  for (int i = 0; i < 4; ++i) {
    pub.publish("t", std::to_string(i), QoS::at_least_once, false, static_cast<std::uint16_t>(i + 1));
  }
  const auto sent = sub->received_of<protocol::Publish>();
  ASSERT_EQ(sent.size(), 2U);  // two in flight, two queued

  Broker& restarted = restart(t0() + 1s);
  EXPECT_THAT(second->take(), IsEmpty());  // nothing restored is reported back
  TestClient again(restarted, ProtocolVersion::v5, t0() + 2s);
  EXPECT_TRUE(again.connect("sub", false, receive_maximum(10, 600)).session_present);
  const auto resent = again.received_of<protocol::Publish>();
  ASSERT_EQ(resent.size(), 4U);
  EXPECT_EQ(resent[0].payload, "0");
  EXPECT_EQ(resent[0].packet_id, sent[0].packet_id);  // [MQTT-4.4.0-1]
  EXPECT_TRUE(resent[0].dup);
  EXPECT_EQ(resent[1].packet_id, sent[1].packet_id);
  EXPECT_TRUE(resent[1].dup);
  EXPECT_EQ(resent[2].payload, "2");
  EXPECT_FALSE(resent[2].dup);
  EXPECT_EQ(resent[3].payload, "3");

  // The subscription came back too, and new messages get ids above the restored ones.
  TestClient pub2(restarted, ProtocolVersion::v5, t0() + 2s);
  pub2.connect("pub");
  second->take();
  pub2.publish("t", "new", QoS::at_least_once, false, 1);
  EXPECT_EQ(again.received_of<protocol::Publish>().size(), 1U);
  EXPECT_THAT(second->take(), ElementsAre("save_message sub #5 pid=5 puback"));
}

TEST_F(DurableRestoreTest, APubrecdMessageGetsOnlyItsPubrelAfterRestart) {
  Broker& broker = make_first();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  auto sub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  sub->connect("sub", false, session_expiry(600));
  sub->subscribe("t", QoS::exactly_once);
  pub.publish("t", "1", QoS::exactly_once, false, 1);
  const auto sent = sub->received_of<protocol::Publish>();
  ASSERT_EQ(sent.size(), 1U);
  sub->send(protocol::Pubrec{sent[0].packet_id, ReasonCode::success, {}});

  Broker& restarted = restart(t0() + 1s);
  TestClient again(restarted, ProtocolVersion::v5, t0() + 2s);
  EXPECT_TRUE(again.connect("sub", false, session_expiry(600)).session_present);
  const auto packets = again.received();
  ASSERT_EQ(packets.size(), 1U);
  ASSERT_TRUE(std::holds_alternative<protocol::Pubrel>(packets[0]));
  EXPECT_EQ(std::get<protocol::Pubrel>(packets[0]).packet_id, sent[0].packet_id);
}

TEST_F(DurableRestoreTest, AResentQoS2PublishIsNotRoutedTwiceAcrossARestart) {
  Broker& broker = make_first();
  auto sub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  sub->connect("sub", false, session_expiry(600));
  sub->subscribe("t", QoS::at_least_once);
  sub->transport_closed();
  sub.reset();
  auto pub = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  pub->connect("pub", false, session_expiry(600));
  pub->publish("t", "once", QoS::exactly_once, false, 7);
  EXPECT_EQ(pub->received_of<protocol::Pubrec>().size(), 1U);

  // The publisher did not see the PUBREC before the crash, so it resends with DUP.
  Broker& restarted = restart(t0() + 1s);
  TestClient pub_again(restarted, ProtocolVersion::v5, t0() + 2s);
  EXPECT_TRUE(pub_again.connect("pub", false, session_expiry(600)).session_present);
  protocol::Publish resend;
  resend.topic = "t";
  resend.payload = "once";
  resend.qos = QoS::exactly_once;
  resend.packet_id = 7;
  resend.dup = true;
  pub_again.send(resend);
  EXPECT_EQ(pub_again.received_of<protocol::Pubrec>().size(), 1U);  // [MQTT-4.3.3-10]

  TestClient sub_again(restarted, ProtocolVersion::v5, t0() + 2s);
  EXPECT_TRUE(sub_again.connect("sub", false, session_expiry(600)).session_present);
  const auto delivered = sub_again.received_of<protocol::Publish>();
  ASSERT_EQ(delivered.size(), 1U);
  EXPECT_EQ(delivered[0].payload, "once");
}

TEST_F(DurableRestoreTest, RetainedMessagesAndSharedSubscriptionsComeBack) {
  Broker& broker = make_first();
  TestClient client(broker, ProtocolVersion::v5);
  client.connect("c", false, session_expiry(600));
  client.subscribe("$share/g/s", QoS::at_least_once);
  client.publish("r", "kept", QoS::at_least_once, true, 1);
  client.transport_closed();

  Broker& restarted = restart(t0() + 1s);
  TestClient pub(restarted, ProtocolVersion::v5, t0() + 2s);
  pub.connect("pub");
  pub.publish("s", "to the group", QoS::at_least_once, false, 1);  // queued for the offline member
  TestClient again(restarted, ProtocolVersion::v5, t0() + 2s);
  EXPECT_TRUE(again.connect("c", false, session_expiry(600)).session_present);
  auto queued = again.received_of<protocol::Publish>();
  ASSERT_EQ(queued.size(), 1U);
  EXPECT_EQ(queued[0].payload, "to the group");
  again.subscribe("r", QoS::at_least_once);
  auto retained = again.received_of<protocol::Publish>();
  ASSERT_EQ(retained.size(), 1U);
  EXPECT_EQ(retained[0].payload, "kept");
  EXPECT_TRUE(retained[0].retain);
}

TEST_F(DurableRestoreTest, ExpiredSessionsAreDroppedAndTheirRemovalReported) {
  Broker& broker = make_first();
  auto client = std::make_unique<TestClient>(broker, ProtocolVersion::v5);
  client->connect("short", false, session_expiry(10));
  client->transport_closed();
  client.reset();

  Broker& restarted = restart(t0() + 60s);
  EXPECT_EQ(restarted.stats().sessions, 0U);
  EXPECT_THAT(second->take(), ElementsAre("remove_session short"));
  TestClient again(restarted, ProtocolVersion::v5, t0() + 61s);
  EXPECT_FALSE(again.connect("short", false, session_expiry(10)).session_present);
}

TEST_F(DurableRestoreTest, ASessionOnlineAtTheCrashCountsItsExpiryFromTheRestart) {
  Broker& broker = make_first();
  TestClient client(broker, ProtocolVersion::v5);
  client.connect("c", false, session_expiry(30));

  Broker& restarted = restart(t0() + 100s);
  restarted.tick(t0() + 120s);
  EXPECT_EQ(restarted.stats().sessions, 1U);
  restarted.tick(t0() + 131s);
  EXPECT_EQ(restarted.stats().sessions, 0U);
  EXPECT_THAT(second->take(), ElementsAre("remove_session c"));
}

}  // namespace
}  // namespace arkmq::core::test
