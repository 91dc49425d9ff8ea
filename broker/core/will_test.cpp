// Wills: when they are sent, Will Delay Interval, session end, takeover, properties.
#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class WillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker = &fx.make();
    watcher = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
    watcher->connect("watcher");
    watcher->subscribe("will/#", QoS::at_least_once);
  }

  // A client with a will on "will/<id>".
  std::unique_ptr<TestClient> with_will(const std::string& id, std::uint32_t delay = 0,
                                        std::uint32_t session_expiry = 0, bool clean = true,
                                        ProtocolVersion version = ProtocolVersion::v5) {
    auto c = std::make_unique<TestClient>(*broker, version);
    protocol::Connect connect;
    connect.client_id = id;
    connect.clean_start = clean;
    connect.keep_alive = 10;
    protocol::Will will;
    will.topic = "will/" + id;
    will.payload = "gone";
    will.qos = QoS::at_least_once;
    if (delay != 0) will.properties.will_delay_interval = delay;
    will.properties.content_type = "text/plain";
    will.properties.user_properties = {{"k", "v"}};
    connect.will = will;
    if (session_expiry != 0) connect.properties.session_expiry_interval = session_expiry;
    EXPECT_EQ(c->connect(connect).reason, ReasonCode::success);
    return c;
  }

  std::size_t wills_seen() { return watcher->received_of<protocol::Publish>().size(); }

  BrokerFixture fx;
  Broker* broker = nullptr;
  std::unique_ptr<TestClient> watcher;
};

TEST_F(WillTest, SentWhenTheTransportIsLostWithItsProperties) {
  auto c = with_will("a");
  c->transport_closed();
  const auto got = watcher->received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].topic, "will/a");
  EXPECT_EQ(got[0].payload, "gone");
  EXPECT_EQ(got[0].properties.content_type, "text/plain");
  EXPECT_EQ(got[0].properties.user_properties, (std::vector<protocol::UserProperty>{{"k", "v"}}));
  EXPECT_FALSE(got[0].properties.will_delay_interval);
}

TEST_F(WillTest, NotSentAfterNormalDisconnect) {
  auto c = with_will("a");
  c->send(protocol::Disconnect{});
  c->transport_closed();
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(wills_seen(), 0U);
}

TEST_F(WillTest, SentAfterDisconnectWithWillMessage) {
  auto c = with_will("a");
  c->send(protocol::Disconnect{ReasonCode::disconnect_with_will_message, {}});
  EXPECT_EQ(wills_seen(), 1U);
}

TEST_F(WillTest, SentOnKeepAliveTimeout) {
  auto c = with_will("a");
  c->tick(t0() + 15s);
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(wills_seen(), 1U);
}

TEST_F(WillTest, SentOnProtocolError) {
  auto c = with_will("a");
  c->publish("bad/+", "x");
  EXPECT_EQ(wills_seen(), 1U);
}

TEST_F(WillTest, V311WillIsSentOnTransportLoss) {
  auto c = with_will("old", 0, 0, true, ProtocolVersion::v311);
  c->transport_closed();
  EXPECT_EQ(wills_seen(), 1U);
}

TEST_F(WillTest, DelayedWillWaitsForItsDelay) {
  auto c = with_will("a", 30, 600);
  c->transport_closed();
  broker->tick(t0() + 29s);
  EXPECT_EQ(wills_seen(), 0U);
  broker->tick(t0() + 30s);
  EXPECT_EQ(wills_seen(), 1U);
}

TEST_F(WillTest, ReconnectWithinTheDelayCancelsTheWill) {
  auto c = with_will("a", 30, 600, false);
  c->transport_closed();
  TestClient again(*broker, ProtocolVersion::v5, t0() + 10s);
  again.set_now(t0() + 10s);
  EXPECT_TRUE(again.connect("a", false, session_expiry(600)).session_present);
  broker->tick(t0() + 60s);
  EXPECT_EQ(wills_seen(), 0U);
}

TEST_F(WillTest, WillDelayedBeyondSessionExpiryFiresAtSessionEnd) {
  auto c = with_will("a", 100, 5);
  c->transport_closed();
  broker->tick(t0() + 4s);
  EXPECT_EQ(wills_seen(), 0U);
  broker->tick(t0() + 5s);
  EXPECT_EQ(wills_seen(), 1U);
  EXPECT_EQ(broker->stats().sessions, 1U);  // only the watcher's
}

TEST_F(WillTest, DelayedWillOfSessionWithExpiryZeroIsSentAtOnce) {
  auto c = with_will("a", 100, 0);
  c->transport_closed();
  EXPECT_EQ(wills_seen(), 1U);
}

TEST_F(WillTest, TakeoverPublishesTheOldWillWhenItHasNoDelay) {
  auto c = with_will("a", 0, 600, false);
  TestClient again(*broker, ProtocolVersion::v5);
  again.connect("a", false, session_expiry(600));
  EXPECT_EQ(wills_seen(), 1U);
}

TEST_F(WillTest, TakeoverResumingTheSessionCancelsADelayedWill) {
  auto c = with_will("a", 30, 600, false);
  TestClient again(*broker, ProtocolVersion::v5);
  again.connect("a", false, session_expiry(600));
  broker->tick(t0() + 60s);
  EXPECT_EQ(wills_seen(), 0U);
}

TEST_F(WillTest, TakeoverWithCleanStartEndsTheSessionAndSendsTheDelayedWill) {
  auto c = with_will("a", 30, 600, false);
  TestClient again(*broker, ProtocolVersion::v5);
  again.connect("a", true);
  EXPECT_EQ(wills_seen(), 1U);
}

TEST_F(WillTest, WillTheBrokerCannotHonourIsRefusedAtConnect) {
  BrokerFixture other;  // the fixture's broker must outlive the watcher, so use a second one
  other.config.maximum_qos = 1;
  other.config.retain_available = false;
  Broker& limited = other.make();
  TestClient qos(limited, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "x";
  connect.will = protocol::Will{"will/x", "gone", QoS::exactly_once, false, {}};
  EXPECT_EQ(qos.connect(connect).reason, ReasonCode::qos_not_supported);
  TestClient retain(limited, ProtocolVersion::v5);
  connect.will = protocol::Will{"will/x", "gone", QoS::at_most_once, true, {}};
  EXPECT_EQ(retain.connect(connect).reason, ReasonCode::retain_not_supported);
  TestClient topic(limited, ProtocolVersion::v5);
  connect.will = protocol::Will{"will/+", "gone", QoS::at_most_once, false, {}};
  EXPECT_EQ(topic.connect(connect).reason, ReasonCode::topic_name_invalid);
}

TEST_F(WillTest, WillToAForbiddenTopicIsRefusedAtConnect) {
  fx.policy->denied.push_back({Action::publish, "will/x"});
  TestClient c(*broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "x";
  connect.will = protocol::Will{"will/x", "gone", QoS::at_most_once, false, {}};
  EXPECT_EQ(c.connect(connect).reason, ReasonCode::not_authorized);
}

}  // namespace
}  // namespace arkmq::core::test
