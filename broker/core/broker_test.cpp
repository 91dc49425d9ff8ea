// Broker facade: shutdown, tick (session expiry, $SYS), stats, encode-once sharing.
#include <thread>

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class BrokerTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
};

TEST_F(BrokerTest, ShutdownDisconnectsV5With0x8BAndClosesEveryLink) {
  Broker& broker = fx.make();
  TestClient v5(broker, ProtocolVersion::v5);
  v5.connect("a");
  TestClient v311(broker, ProtocolVersion::v311);
  v311.connect("b");
  broker.shutdown();
  const auto disconnects = v5.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::server_shutting_down);
  EXPECT_TRUE(v5.closed());
  EXPECT_TRUE(v311.closed());
  EXPECT_TRUE(v311.received().empty());
}

TEST_F(BrokerTest, TickExpiresOfflineSessions) {
  Broker& broker = fx.make();
  {
    TestClient c(broker, ProtocolVersion::v5);
    c.connect("a", false, session_expiry(10));
    c.subscribe("t");
    c.send(protocol::Disconnect{});
  }
  EXPECT_EQ(broker.stats().sessions, 1U);
  broker.tick(t0() + 9s);
  EXPECT_EQ(broker.stats().sessions, 1U);
  broker.tick(t0() + 10s);
  EXPECT_EQ(broker.stats().sessions, 0U);
  EXPECT_EQ(broker.stats().subscriptions, 0U);
}

TEST_F(BrokerTest, SysTopicsArePublishedRetainedEveryInterval) {
  fx.config.sys_interval = 10s;
  Broker& broker = fx.make_with_sys();
  TestClient c(broker, ProtocolVersion::v5);
  c.connect("a");
  c.subscribe("#");
  c.subscribe("$SYS/broker/clients/connected");
  broker.tick(t0());
  auto got = c.received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);  // "#" does not match $SYS [MQTT-4.7.2-1]
  EXPECT_EQ(got[0].payload, "1");
  broker.tick(t0() + 5s);
  EXPECT_TRUE(c.received_of<protocol::Publish>().empty());
  broker.tick(t0() + 10s);
  EXPECT_EQ(c.received_of<protocol::Publish>().size(), 1U);
  TestClient late(broker, ProtocolVersion::v5);
  late.connect("late");
  late.subscribe("$SYS/#");
  const auto sys = late.received_of<protocol::Publish>();
  std::vector<std::string> topics;
  for (const auto& p : sys) topics.push_back(p.topic);
  for (const char* topic : {"$SYS/broker/version", "$SYS/broker/uptime", "$SYS/broker/messages/received",
                            "$SYS/broker/messages/sent", "$SYS/broker/bytes/received",
                            "$SYS/broker/bytes/sent", "$SYS/broker/subscriptions/count",
                            "$SYS/broker/retained messages/count"}) {
    EXPECT_NE(std::find(topics.begin(), topics.end(), topic), topics.end()) << topic;
  }
  for (const auto& p : sys) EXPECT_TRUE(p.retain);
}

TEST_F(BrokerTest, SubscribersWithTheSameLayoutShareOneEncodedBuffer) {
  Broker& broker = fx.make();
  TestClient a(broker, ProtocolVersion::v5);
  a.connect("a");
  a.subscribe("t", QoS::at_most_once);
  TestClient b(broker, ProtocolVersion::v5);
  b.connect("b");
  b.subscribe("t", QoS::at_most_once);
  const std::size_t a_before = a.link().sent().size();
  const std::size_t b_before = b.link().sent().size();
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("t", "shared");
  ASSERT_EQ(a.link().sent().size(), a_before + 1);
  ASSERT_EQ(b.link().sent().size(), b_before + 1);
  EXPECT_EQ(a.link().sent().back().get(), b.link().sent().back().get());
}

TEST_F(BrokerTest, StatsCountConnectedClientsAndSessions) {
  Broker& broker = fx.make();
  TestClient a(broker, ProtocolVersion::v5);
  a.connect("a");
  TestClient b(broker, ProtocolVersion::v311);
  b.connect("b", false);
  EXPECT_EQ(broker.stats().clients_connected, 2U);
  b.transport_closed();
  EXPECT_EQ(broker.stats().clients_connected, 1U);
  EXPECT_EQ(broker.stats().sessions, 2U);  // b's persists
}

TEST_F(BrokerTest, PublishersOnSeveralThreadsReachOneSubscriber) {
  Broker& broker = fx.make();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  sub.subscribe("load/#", QoS::at_least_once);
  constexpr int per_thread = 300;
  auto run = [&broker](const std::string& id) {
    TestClient pub(broker, ProtocolVersion::v5);
    pub.connect(id);
    for (int i = 0; i < per_thread; ++i) {
      pub.publish("load/" + id, std::to_string(i), QoS::at_least_once,
                  false, static_cast<std::uint16_t>(i + 1));
    }
    EXPECT_EQ(pub.received_of<protocol::Puback>().size(), static_cast<std::size_t>(per_thread));
  };
  std::thread a(run, "a");
  std::thread b(run, "b");
  a.join();
  b.join();
  EXPECT_EQ(sub.received_of<protocol::Publish>().size(), 2U * per_thread);
  EXPECT_EQ(broker.stats().messages_received, 2U * per_thread);
}

}  // namespace
}  // namespace arkmq::core::test
