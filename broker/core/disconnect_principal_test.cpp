// Broker::disconnect_principal: a removed user's clients are disconnected like any
// server-initiated DISCONNECT.
#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class DisconnectPrincipal : public ::testing::Test {
 protected:
  void SetUp() override {
    broker = &fx.make();
    watcher = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
    connect_as(*watcher, "watcher", "watcher");
    watcher->subscribe("#", QoS::at_least_once);
  }

  protocol::Connack connect_as(TestClient& c, const std::string& principal,
                               protocol::Connect connect) {
    fx.policy->principal = principal;
    return c.connect(std::move(connect));
  }
  protocol::Connack connect_as(TestClient& c, const std::string& principal, const std::string& id,
                               std::uint32_t expiry = 0) {
    protocol::Connect connect;
    connect.client_id = id;
    connect.clean_start = true;
    if (expiry != 0) connect.properties.session_expiry_interval = expiry;
    return connect_as(c, principal, std::move(connect));
  }

  // A client of `principal` with a QoS 1 will on "will/<id>".
  std::unique_ptr<TestClient> with_will(const std::string& principal, const std::string& id,
                                        std::uint32_t delay = 0, std::uint32_t expiry = 0) {
    auto c = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
    protocol::Connect connect;
    connect.client_id = id;
    protocol::Will will;
    will.topic = "will/" + id;
    will.payload = "gone";
    will.qos = QoS::at_least_once;
    if (delay != 0) will.properties.will_delay_interval = delay;
    connect.will = will;
    if (expiry != 0) connect.properties.session_expiry_interval = expiry;
    EXPECT_EQ(connect_as(*c, principal, std::move(connect)).reason, ReasonCode::success);
    return c;
  }

  std::vector<std::string> topics_seen() {
    std::vector<std::string> topics;
    for (const auto& p : watcher->received_of<protocol::Publish>()) topics.push_back(p.topic);
    return topics;
  }

  BrokerFixture fx;
  Broker* broker = nullptr;
  std::unique_ptr<TestClient> watcher;
};

TEST_F(DisconnectPrincipal, EveryOnlineSessionOfThePrincipalGetsDisconnectAndIsClosed) {
  TestClient v5(*broker, ProtocolVersion::v5);
  connect_as(v5, "alice", "a1");
  TestClient v311(*broker, ProtocolVersion::v311);
  connect_as(v311, "alice", "a2");
  TestClient bob(*broker, ProtocolVersion::v5);
  connect_as(bob, "bob", "b1");

  EXPECT_EQ(broker->disconnect_principal("alice", ReasonCode::not_authorized, t0()), 2U);

  const auto disconnects = v5.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::not_authorized);
  EXPECT_TRUE(v5.closed());
  EXPECT_TRUE(v311.closed());
  EXPECT_TRUE(v311.received().empty());  // 3.1.1 has no DISCONNECT from the server
  EXPECT_FALSE(bob.closed());
  EXPECT_TRUE(bob.received_of<protocol::Disconnect>().empty());
  EXPECT_EQ(broker->stats().clients_connected, 2U);  // watcher and bob
}

TEST_F(DisconnectPrincipal, UnknownPrincipalDisconnectsNobody) {
  TestClient bob(*broker, ProtocolVersion::v5);
  connect_as(bob, "bob", "b1");
  EXPECT_EQ(broker->disconnect_principal("alice", ReasonCode::not_authorized, t0()), 0U);
  EXPECT_FALSE(bob.closed());
}

TEST_F(DisconnectPrincipal, EmptyPrincipalMeansAnonymousClients) {
  TestClient anon(*broker, ProtocolVersion::v5);
  connect_as(anon, "", "anon");
  TestClient bob(*broker, ProtocolVersion::v5);
  connect_as(bob, "bob", "b1");
  EXPECT_EQ(broker->disconnect_principal("", ReasonCode::not_authorized, t0()), 1U);
  EXPECT_TRUE(anon.closed());
  EXPECT_FALSE(bob.closed());
}

TEST_F(DisconnectPrincipal, SessionIsKeptOrEndedPerItsExpiry) {
  TestClient persistent(*broker, ProtocolVersion::v5);
  connect_as(persistent, "alice", "kept", 60);
  persistent.subscribe("x/#");
  TestClient transient(*broker, ProtocolVersion::v5);
  connect_as(transient, "alice", "gone");
  transient.subscribe("y/#");
  const std::uint64_t sessions_before = broker->stats().sessions;

  broker->disconnect_principal("alice", ReasonCode::not_authorized, t0());

  EXPECT_EQ(broker->stats().sessions, sessions_before - 1);
  EXPECT_EQ(broker->stats().subscriptions, 2U);  // watcher's and kept's
  // The kept session expires like any other.
  broker->tick(t0() + 61s);
  EXPECT_EQ(broker->stats().sessions, sessions_before - 2);
}

TEST_F(DisconnectPrincipal, WillFiresAsForAServerDisconnect) {
  auto c = with_will("alice", "w");
  broker->disconnect_principal("alice", ReasonCode::not_authorized, t0());
  EXPECT_EQ(topics_seen(), std::vector<std::string>{"will/w"});
  // The late transport close of the old connection sends nothing more.
  c->transport_closed();
  EXPECT_TRUE(topics_seen().empty());
}

TEST_F(DisconnectPrincipal, DelayedWillWaitsForItsDelayFromTheGivenTime) {
  auto c = with_will("alice", "w", 30, 120);
  broker->disconnect_principal("alice", ReasonCode::not_authorized, t0() + 10s);
  broker->tick(t0() + 39s);
  EXPECT_TRUE(topics_seen().empty());
  broker->tick(t0() + 40s);
  EXPECT_EQ(topics_seen(), std::vector<std::string>{"will/w"});
}

TEST_F(DisconnectPrincipal, PacketsFromTheDisconnectedConnectionAreIgnored) {
  TestClient alice(*broker, ProtocolVersion::v5);
  connect_as(alice, "alice", "a1");
  broker->disconnect_principal("alice", ReasonCode::not_authorized, t0());
  alice.publish("data/1", "late", QoS::at_least_once, false, 1);
  EXPECT_TRUE(topics_seen().empty());
  alice.transport_closed();
  EXPECT_EQ(broker->stats().clients_connected, 1U);
}

}  // namespace
}  // namespace arkmq::core::test
