// Shared subscriptions whose members are all offline [MQTT-4.8.2]: the message is queued on one
// persistent member, members take turns, queue bounds and QoS 0 rules as for other offline queues.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class SharedOfflineTest : public ::testing::Test {
 protected:
  BrokerFixture fx;

  static protocol::Properties persistent() { return session_expiry(600); }

  // A persistent member of "$share/g/t" that then disconnects.
  static void offline_member(Broker& broker, const std::string& id, QoS qos = QoS::at_least_once) {
    TestClient member(broker, ProtocolVersion::v5);
    member.connect(id, false, persistent());
    member.subscribe("$share/g/t", qos);
    member.send(protocol::Disconnect{});
  }

  static std::vector<protocol::Publish> resume(Broker& broker, const std::string& id) {
    TestClient member(broker, ProtocolVersion::v5);
    member.connect(id, false, persistent());
    return member.received_of<protocol::Publish>();
  }
};

TEST_F(SharedOfflineTest, MessagesForAGroupWithNoOnlineMemberAreQueuedOnOfflineMembersInTurn) {
  Broker& broker = fx.make();
  offline_member(broker, "a");
  offline_member(broker, "b");
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  for (int i = 0; i < 4; ++i) pub.publish("t", std::to_string(i), QoS::at_least_once, false, 1);
  const auto a = resume(broker, "a");
  const auto b = resume(broker, "b");
  ASSERT_EQ(a.size(), 2U);
  ASSERT_EQ(b.size(), 2U);
  EXPECT_NE(a[0].payload, b[0].payload);
  EXPECT_EQ(broker.stats().messages_dropped, 0U);
}

TEST_F(SharedOfflineTest, AnOnlineMemberIsPreferredOverOfflineOnes) {
  Broker& broker = fx.make();
  offline_member(broker, "a");
  TestClient online(broker, ProtocolVersion::v5);
  online.connect("b");
  online.subscribe("$share/g/t", QoS::at_least_once);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  for (int i = 0; i < 3; ++i) pub.publish("t", std::to_string(i), QoS::at_least_once, false, 1);
  EXPECT_EQ(online.received_of<protocol::Publish>().size(), 3U);
  EXPECT_TRUE(resume(broker, "a").empty());
}

TEST_F(SharedOfflineTest, QoS0IsNotQueuedForAnOfflineGroup) {
  Broker& broker = fx.make();
  offline_member(broker, "a");
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "zero", QoS::at_most_once);
  offline_member(broker, "a");  // resumes, receives nothing, leaves again
  EXPECT_TRUE(resume(broker, "a").empty());
}

TEST_F(SharedOfflineTest, AFullOfflineQueueIsSkippedForAMemberWithRoom) {
  fx.config.max_queued_messages = 1;
  Broker& broker = fx.make();
  offline_member(broker, "a");
  offline_member(broker, "b");
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  for (int i = 0; i < 3; ++i) pub.publish("t", std::to_string(i), QoS::at_least_once, false, 1);
  // Two fit (one per member); the third finds no room anywhere and is not queued.
  EXPECT_EQ(resume(broker, "a").size() + resume(broker, "b").size(), 2U);
}

}  // namespace
}  // namespace arkmq::core::test
