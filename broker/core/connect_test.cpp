// CONNECT / CONNACK, sessions, keep alive, connect deadline, takeover.
#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class ConnectTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
};

TEST_F(ConnectTest, AcceptsV5ClientAndAnnouncesLimits) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  const auto connack = c.connect("dev1");
  EXPECT_EQ(connack.reason, ReasonCode::success);
  EXPECT_FALSE(connack.session_present);
  EXPECT_EQ(connack.properties.maximum_packet_size, fx.config.max_packet_size);
  EXPECT_EQ(connack.properties.receive_maximum, fx.config.receive_maximum);
  EXPECT_EQ(connack.properties.topic_alias_maximum, fx.config.topic_alias_maximum);
  EXPECT_FALSE(connack.properties.maximum_qos);
  EXPECT_FALSE(connack.properties.retain_available);
  EXPECT_FALSE(connack.properties.wildcard_subscription_available);
  EXPECT_FALSE(connack.properties.subscription_identifier_available);
  EXPECT_FALSE(connack.properties.shared_subscription_available);
  EXPECT_FALSE(connack.properties.server_keep_alive);
  EXPECT_FALSE(connack.properties.assigned_client_identifier);
  EXPECT_FALSE(connack.properties.session_expiry_interval);
  EXPECT_FALSE(connack.properties.reason_string);
  EXPECT_FALSE(c.closed());
  EXPECT_EQ(fx.broker->stats().clients_connected, 1U);
}

TEST_F(ConnectTest, MissingCapabilitiesAreAnnouncedAsZero) {
  fx.config.maximum_qos = 1;
  fx.config.retain_available = false;
  fx.config.wildcard_subscriptions = false;
  fx.config.subscription_identifiers = false;
  fx.config.shared_subscriptions = false;
  TestClient c(fx.make(), ProtocolVersion::v5);
  const auto p = c.connect("dev1").properties;
  EXPECT_EQ(p.maximum_qos, 1);
  EXPECT_EQ(p.retain_available, 0);
  EXPECT_EQ(p.wildcard_subscription_available, 0);
  EXPECT_EQ(p.subscription_identifier_available, 0);
  EXPECT_EQ(p.shared_subscription_available, 0);
}

TEST_F(ConnectTest, UnknownProtocolLevelGetsV311ReturnCode1AndClose) {
  TestClient c(fx.make(), ProtocolVersion::v311);
  c.send_bytes({0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x06, 0x02, 0x00, 0x3C, 0x00, 0x01, 'a'});
  ASSERT_EQ(c.link().sent().size(), 1U);
  EXPECT_EQ(*c.link().sent()[0], (std::vector<std::uint8_t>{0x20, 0x02, 0x00, 0x01}));
  EXPECT_TRUE(c.closed());
}

TEST_F(ConnectTest, MalformedV5ConnectIsAnsweredWithConnack0x81) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  // Connect flags 0x01: the reserved bit is set [MQTT-3.1.2-3].
  c.send_bytes({0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x01, 0x00, 0x3C, 0x00, 0x00, 0x01, 'a'});
  const auto connacks = c.received_of<protocol::Connack>();
  ASSERT_EQ(connacks.size(), 1U);
  EXPECT_EQ(connacks[0].reason, ReasonCode::malformed_packet);
  EXPECT_TRUE(c.closed());
}

TEST_F(ConnectTest, MalformedV311ConnectClosesWithoutConnack) {
  TestClient c(fx.make(), ProtocolVersion::v311);
  c.send_bytes({0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x01, 0x00, 0x3C, 0x00, 0x01, 'a'});
  EXPECT_TRUE(c.link().sent().empty());
  EXPECT_TRUE(c.closed());
}

TEST_F(ConnectTest, EmptyClientIdGetsAssignedIdentifierInV5) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  const auto connack = c.connect("");
  EXPECT_EQ(connack.reason, ReasonCode::success);
  ASSERT_TRUE(connack.properties.assigned_client_identifier);
  EXPECT_FALSE(connack.properties.assigned_client_identifier->empty());
}

TEST_F(ConnectTest, EmptyClientIdWithoutCleanSessionIsRejectedInV311) {
  TestClient c(fx.make(), ProtocolVersion::v311);
  const auto connack = c.connect("", false);
  EXPECT_EQ(connack.reason, ReasonCode::client_identifier_not_valid);  // return code 2
  EXPECT_EQ((*c.link().sent()[0])[3], 2);
  EXPECT_TRUE(c.closed());
}

TEST_F(ConnectTest, EmptyClientIdWithCleanSessionIsAcceptedInV311) {
  TestClient c(fx.make(), ProtocolVersion::v311);
  EXPECT_EQ(c.connect("", true).reason, ReasonCode::success);
}

TEST_F(ConnectTest, TooLongClientIdIsNotValid) {
  fx.config.max_client_id_length = 4;
  TestClient c(fx.make(), ProtocolVersion::v5);
  EXPECT_EQ(c.connect("abcdef").reason, ReasonCode::client_identifier_not_valid);
  EXPECT_TRUE(c.closed());
}

TEST_F(ConnectTest, AuthenticatorRefusalIsTheConnackCode) {
  fx.policy->auth_reason = ReasonCode::bad_user_name_or_password;
  Broker& broker = fx.make();
  TestClient v5(broker, ProtocolVersion::v5);
  EXPECT_EQ(v5.connect("a").reason, ReasonCode::bad_user_name_or_password);
  EXPECT_TRUE(v5.closed());
  TestClient v311(broker, ProtocolVersion::v311);
  v311.connect("b");
  EXPECT_EQ((*v311.link().sent()[0])[3], 4);  // bad user name or password
  fx.policy->auth_reason = ReasonCode::not_authorized;
  TestClient denied(broker, ProtocolVersion::v5);
  EXPECT_EQ(denied.connect("c").reason, ReasonCode::not_authorized);
  EXPECT_EQ(fx.broker->stats().clients_connected, 0U);
}

TEST_F(ConnectTest, AuthenticationMethodIsRefusedAsBadMethod) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  protocol::Properties p;
  p.authentication_method = "SCRAM-SHA-1";
  EXPECT_EQ(c.connect("a", true, p).reason, ReasonCode::bad_authentication_method);
  EXPECT_TRUE(c.closed());
}

TEST_F(ConnectTest, ServerBusyPastMaxConnections) {
  fx.config.max_connections = 1;
  Broker& broker = fx.make();
  TestClient a(broker, ProtocolVersion::v5);
  EXPECT_EQ(a.connect("a").reason, ReasonCode::success);
  TestClient b(broker, ProtocolVersion::v5);
  EXPECT_EQ(b.connect("b").reason, ReasonCode::server_busy);
}

TEST_F(ConnectTest, ServerUnavailableAfterShutdown) {
  Broker& broker = fx.make();
  broker.shutdown();
  TestClient c(broker, ProtocolVersion::v5);
  EXPECT_EQ(c.connect("a").reason, ReasonCode::server_unavailable);
}

TEST_F(ConnectTest, ReasonStringOnlyWhenProblemInformationRequested) {
  fx.policy->auth_reason = ReasonCode::not_authorized;
  Broker& broker = fx.make();
  TestClient plain(broker, ProtocolVersion::v5);
  EXPECT_TRUE(plain.connect("a").properties.reason_string);
  TestClient quiet(broker, ProtocolVersion::v5);
  protocol::Properties p;
  p.request_problem_information = 0;
  EXPECT_FALSE(quiet.connect("b", true, p).properties.reason_string);
}

TEST_F(ConnectTest, SessionPresentOnlyWhenResumingAPersistentSession) {
  Broker& broker = fx.make();
  {
    TestClient c(broker, ProtocolVersion::v5);
    EXPECT_FALSE(c.connect("dev", false, session_expiry(60)).session_present);
    c.send(protocol::Disconnect{});
  }
  TestClient again(broker, ProtocolVersion::v5);
  EXPECT_TRUE(again.connect("dev", false, session_expiry(60)).session_present);
  again.send(protocol::Disconnect{});
  TestClient clean(broker, ProtocolVersion::v5);
  EXPECT_FALSE(clean.connect("dev", true, session_expiry(60)).session_present);
}

TEST_F(ConnectTest, SessionWithExpiryZeroEndsWithTheConnection) {
  Broker& broker = fx.make();
  {
    TestClient c(broker, ProtocolVersion::v5);
    c.connect("dev", false);
    c.send(protocol::Disconnect{});
  }
  EXPECT_EQ(broker.stats().sessions, 0U);
  TestClient again(broker, ProtocolVersion::v5);
  EXPECT_FALSE(again.connect("dev", false).session_present);
}

TEST_F(ConnectTest, V311CleanSessionZeroKeepsTheSession) {
  Broker& broker = fx.make();
  {
    TestClient c(broker, ProtocolVersion::v311);
    EXPECT_FALSE(c.connect("dev", false).session_present);
    c.send(protocol::Disconnect{});
  }
  EXPECT_EQ(broker.stats().sessions, 1U);
  TestClient again(broker, ProtocolVersion::v311);
  EXPECT_TRUE(again.connect("dev", false).session_present);
  TestClient other(broker, ProtocolVersion::v311);
  EXPECT_FALSE(other.connect("dev2", true).session_present);
}

TEST_F(ConnectTest, LoweredSessionExpiryIsAnnounced) {
  fx.config.max_session_expiry = 100;
  Broker& broker = fx.make();
  TestClient c(broker, ProtocolVersion::v5);
  EXPECT_EQ(c.connect("a", true, session_expiry(1000)).properties.session_expiry_interval, 100U);
  TestClient d(broker, ProtocolVersion::v5);
  EXPECT_FALSE(d.connect("b", true, session_expiry(50)).properties.session_expiry_interval);
}

TEST_F(ConnectTest, ResponseInformationWhenRequested) {
  Broker& broker = fx.make();
  protocol::Properties p;
  p.request_response_information = 1;
  TestClient c(broker, ProtocolVersion::v5);
  EXPECT_EQ(c.connect("dev1", true, p).properties.response_information, "$svc/inbox/dev1/");
  TestClient d(broker, ProtocolVersion::v5);
  EXPECT_FALSE(d.connect("a/b", true, p).properties.response_information);
  TestClient e(broker, ProtocolVersion::v5);
  EXPECT_FALSE(e.connect("dev3").properties.response_information);
}

TEST_F(ConnectTest, ServerKeepAliveCapsTheClientsValue) {
  fx.config.max_keep_alive = 30;
  Broker& broker = fx.make();
  protocol::Connect connect;
  connect.client_id = "a";
  connect.keep_alive = 60;
  TestClient c(broker, ProtocolVersion::v5);
  EXPECT_EQ(c.connect(connect).properties.server_keep_alive, 30);
  connect.client_id = "b";
  connect.keep_alive = 0;
  TestClient d(broker, ProtocolVersion::v5);
  EXPECT_EQ(d.connect(connect).properties.server_keep_alive, 30);
  connect.client_id = "c";
  connect.keep_alive = 20;
  TestClient e(broker, ProtocolVersion::v5);
  EXPECT_FALSE(e.connect(connect).properties.server_keep_alive);
  // The granted 30 s is enforced: 1.5 x 30 = 45 s.
  c.tick(t0() + 44s);
  EXPECT_FALSE(c.closed());
  c.tick(t0() + 45s);
  EXPECT_TRUE(c.closed());
}

TEST_F(ConnectTest, KeepAliveTimesOutAfterOneAndAHalfPeriods) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "a";
  connect.keep_alive = 10;
  c.connect(connect);
  c.set_now(t0() + 9s);
  c.send(protocol::Pingreq{});
  EXPECT_EQ(c.received_of<protocol::Pingresp>().size(), 1U);
  c.tick(t0() + 23s);  // 14 s after the last packet
  EXPECT_FALSE(c.closed());
  c.tick(t0() + 24s);  // 15 s
  EXPECT_TRUE(c.closed());
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::keep_alive_timeout);
}

TEST_F(ConnectTest, ConnectionWithoutConnectIsClosedAtTheDeadline) {
  fx.config.connect_timeout = 10s;
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.tick(t0() + 9s);
  EXPECT_FALSE(c.closed());
  c.tick(t0() + 10s);
  EXPECT_TRUE(c.closed());
  EXPECT_TRUE(c.link().sent().empty());
}

TEST_F(ConnectTest, SecondConnectIsAProtocolError) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  protocol::Connect again;
  again.client_id = "a";
  c.send(again);
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::protocol_error);
  EXPECT_TRUE(c.closed());
  EXPECT_TRUE(c.is_closing());
}

TEST_F(ConnectTest, FirstPacketOtherThanConnectClosesSilently) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.send(protocol::Pingreq{});
  EXPECT_TRUE(c.closed());
  EXPECT_TRUE(c.link().sent().empty());
}

TEST_F(ConnectTest, MalformedPacketIsDisconnect0x81InV5AndCloseInV311) {
  Broker& broker = fx.make();
  TestClient v5(broker, ProtocolVersion::v5);
  v5.connect("a");
  v5.send_bytes({0x30, 0x02, 0x00, 0x05});  // topic length runs past the packet
  const auto disconnects = v5.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::malformed_packet);
  EXPECT_TRUE(v5.closed());
  TestClient v311(broker, ProtocolVersion::v311);
  v311.connect("b");
  v311.send_bytes({0x30, 0x02, 0x00, 0x05});
  EXPECT_TRUE(v311.received().empty());
  EXPECT_TRUE(v311.closed());
}

TEST_F(ConnectTest, AuthPacketWithoutMethodIsAProtocolError) {
  TestClient c(fx.make(), ProtocolVersion::v5);
  c.connect("a");
  c.send(protocol::Auth{ReasonCode::re_authenticate, {}});
  const auto disconnects = c.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::protocol_error);
}

TEST_F(ConnectTest, TakeoverDisconnectsTheOldConnectionWith0x8E) {
  Broker& broker = fx.make();
  TestClient old(broker, ProtocolVersion::v5);
  old.connect("dev", false, session_expiry(60));
  old.subscribe("a/#", QoS::at_least_once);
  TestClient fresh(broker, ProtocolVersion::v5);
  EXPECT_TRUE(fresh.connect("dev", false, session_expiry(60)).session_present);
  const auto disconnects = old.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::session_taken_over);
  EXPECT_TRUE(old.closed());
  // The old connection's late transport close must not detach the new one.
  old.transport_closed();
  EXPECT_EQ(broker.stats().clients_connected, 1U);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  pub.publish("a/b", "x", QoS::at_least_once);
  EXPECT_EQ(fresh.received_of<protocol::Publish>().size(), 1U);
  EXPECT_TRUE(old.received_of<protocol::Publish>().empty());
}

TEST_F(ConnectTest, V311TakeoverClosesWithoutDisconnect) {
  Broker& broker = fx.make();
  TestClient old(broker, ProtocolVersion::v311);
  old.connect("dev", true);
  TestClient fresh(broker, ProtocolVersion::v311);
  fresh.connect("dev", true);
  EXPECT_TRUE(old.closed());
  EXPECT_TRUE(old.received().empty());
}

}  // namespace
}  // namespace arkmq::core::test
