// 01 connect: CONNECT/CONNACK for both versions, authentication default, client ids, sessions,
// takeover, keep alive and the CONNECT deadline.
#include <gtest/gtest.h>

#include "tests/support/broker_test.hpp"
#include "tests/support/paho_helpers.hpp"
#include "tests/support/raw_client.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Connect : public BrokerTest {};

TEST_F(Connect, PahoV311ClientConnectsWithCleanSession) {
  start_broker();
  PahoClient client(uri(), unique_client_id("c311"), 4);
  const auto response = client.connect(v311_options());
  EXPECT_EQ(response.get_mqtt_version(), 4);
  EXPECT_FALSE(response.is_session_present());
  EXPECT_TRUE(client.client().is_connected());
}

TEST_F(Connect, PahoV5ClientConnectsWithCleanStart) {
  start_broker();
  PahoClient client(uri(), unique_client_id("c5"), 5);
  const auto response = client.connect(v5_options());
  EXPECT_EQ(response.get_mqtt_version(), 5);
  EXPECT_FALSE(response.is_session_present());
}

TEST_F(Connect, AnonymousV311ClientIsRefusedByDefault) {
  start_broker(anonymous_refused());
  RawClient raw(broker().port());
  const auto connack = raw.connect(wire::connect_spec(4, "anon311"), Deadline(5s));
  ASSERT_TRUE(connack);
  const auto view = wire::parse_connack(*connack, 4);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->reason, 0x05);  // 3.1.1 "not authorized" [MQTT-3.2.2-5]
  EXPECT_TRUE(raw.expect_closed(Deadline(5s)));
}

TEST_F(Connect, AnonymousV5ClientIsRefusedWithNotAuthorized) {
  start_broker(anonymous_refused());
  RawClient raw(broker().port());
  const auto connack = raw.connect(wire::connect_spec(5, "anon5"), Deadline(5s));
  ASSERT_TRUE(connack);
  const auto view = wire::parse_connack(*connack, 5);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->reason, 0x87);
  EXPECT_FALSE(view->session_present);  // [MQTT-3.2.2-6]
  EXPECT_TRUE(raw.expect_closed(Deadline(5s)));
}

TEST_F(Connect, PahoV311ClientSeesNotAuthorizedWhenAnonymousIsRefused) {
  start_broker(anonymous_refused());
  PahoClient client(uri(), unique_client_id("anon"), 4);
  try {
    client.connect(v311_options());
    FAIL() << "anonymous connect was accepted";
  } catch (const mqtt::exception& error) {
    EXPECT_EQ(error.get_return_code(), 5) << error.what();
  }
}

TEST_F(Connect, EmptyClientIdGetsAnAssignedClientIdentifierInV5) {
  start_broker();
  RawClient raw(broker().port());
  const auto connack = raw.connect(wire::connect_spec(5, ""), Deadline(5s));
  ASSERT_TRUE(connack);
  const auto view = wire::parse_connack(*connack, 5);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->reason, 0x00);
  const auto assigned = wire::find_property(view->properties, 0x12);  // [MQTT-3.2.2-16]
  ASSERT_TRUE(assigned);
  EXPECT_FALSE(assigned->text.empty());
}

TEST_F(Connect, EmptyClientIdIsAcceptedWithCleanSessionInV311) {
  start_broker();
  RawClient raw(broker().port());
  const auto connack = raw.connect(wire::connect_spec(4, "", true), Deadline(5s));
  ASSERT_TRUE(connack);
  EXPECT_EQ(wire::parse_connack(*connack, 4)->reason, 0x00);  // [MQTT-3.1.3-6]
}

TEST_F(Connect, EmptyClientIdWithoutCleanSessionIsRejectedInV311) {
  start_broker();
  RawClient raw(broker().port());
  const auto connack = raw.connect(wire::connect_spec(4, "", false), Deadline(5s));
  ASSERT_TRUE(connack);
  EXPECT_EQ(wire::parse_connack(*connack, 4)->reason, 0x02);  // [MQTT-3.1.3-8]
  EXPECT_TRUE(raw.expect_closed(Deadline(5s)));
}

TEST_F(Connect, Mqtt31ClientIsAcceptedAsV311) {
  start_broker();
  RawClient raw(broker().port());
  auto spec = wire::connect_spec(3, unique_client_id("mqisdp"));
  spec.protocol_name = "MQIsdp";  // MQTT 3.1 (docs/protocol.md: treated as 3.1.1)
  const auto connack = raw.connect(spec, Deadline(5s));
  ASSERT_TRUE(connack);
  EXPECT_EQ(wire::parse_connack(*connack, 4)->reason, 0x00);
  ASSERT_TRUE(raw.send(wire::pingreq()));
  EXPECT_TRUE(raw.receive_type(13, Deadline(5s)));
}

TEST_F(Connect, UsernameAndPasswordAreRefusedWithoutAUserStore) {
  ARKMQ_ONLY("docs/security.md: passwords are refused until the user store lands");
  start_broker();
  RawClient raw(broker().port());
  auto spec = wire::connect_spec(5, unique_client_id("userpass"));
  spec.username = "alice";
  spec.password = "secret";
  const auto connack = raw.connect(spec, Deadline(5s));
  ASSERT_TRUE(connack);
  const std::uint8_t reason = wire::parse_connack(*connack, 5)->reason;
  EXPECT_TRUE(reason == 0x86 || reason == 0x87) << "CONNACK reason 0x" << std::hex << int(reason);
  EXPECT_TRUE(raw.expect_closed(Deadline(5s)));
}

TEST_F(Connect, UnknownProtocolLevelIsRefusedAndClosed) {
  start_broker();
  RawClient raw(broker().port());
  // Level 6 does not exist: CONNACK 0x01 (3.1.1 code) or 0x84 (v5 code), then close [MQTT-3.1.2-2].
  const auto connack = raw.connect(wire::connect_spec(6, "level6"), Deadline(5s));
  if (!is_reference()) {
    ASSERT_TRUE(connack) << "docs/protocol.md promises CONNACK 'unacceptable protocol version'";
  }
  if (connack) {
    const std::uint8_t code = connack->body.size() >= 2 ? connack->body[1] : 0;
    EXPECT_TRUE(code == 0x01 || code == 0x84) << "CONNACK code " << int(code);
  }
  EXPECT_TRUE(raw.expect_closed(Deadline(5s)));
}

TEST_F(Connect, SessionPresentReflectsAStoredSession) {
  start_broker();
  const std::string id = unique_client_id("persist");
  wire::PropertyWriter expiry;
  expiry.u32(0x11, 60);
  {
    RawClient raw(broker().port());
    const auto connack = raw.connect(
        wire::connect_spec(5, id, true, 60, expiry.bytes()), Deadline(5s));
    ASSERT_TRUE(connack);
    EXPECT_FALSE(wire::parse_connack(*connack, 5)->session_present);
    raw.send(wire::disconnect(5));
    EXPECT_TRUE(raw.expect_closed(Deadline(5s)));
  }
  {
    RawClient raw(broker().port());
    const auto connack = raw.connect(
        wire::connect_spec(5, id, false, 60, expiry.bytes()), Deadline(5s));
    ASSERT_TRUE(connack);
    EXPECT_TRUE(wire::parse_connack(*connack, 5)->session_present);  // [MQTT-3.2.2-3]
    raw.send(wire::disconnect(5));
    EXPECT_TRUE(raw.expect_closed(Deadline(5s)));
  }
  {
    RawClient raw(broker().port());
    const auto connack = raw.connect(
        wire::connect_spec(5, id, true, 60, expiry.bytes()), Deadline(5s));
    ASSERT_TRUE(connack);
    EXPECT_FALSE(wire::parse_connack(*connack, 5)->session_present);  // [MQTT-3.2.2-2]
  }
}

TEST_F(Connect, SessionTakeoverSendsDisconnect0x8EToTheOldV5Client) {
  ARKMQ_ONLY("mosquitto 2.0.11 closes the old connection without the DISCONNECT 0x8E that "
             "[MQTT-3.1.4-3] requires");
  start_broker();
  const std::string id = unique_client_id("takeover");
  RawClient old_client(broker().port());
  ASSERT_TRUE(old_client.connect(wire::connect_spec(5, id), Deadline(5s)));
  RawClient new_client(broker().port());
  const auto connack = new_client.connect(wire::connect_spec(5, id), Deadline(5s));
  ASSERT_TRUE(connack);
  EXPECT_EQ(wire::parse_connack(*connack, 5)->reason, 0x00);
  const auto disconnect = old_client.receive_type(14, Deadline(5s));
  ASSERT_TRUE(disconnect) << "old client got no DISCONNECT";
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x8E);  // [MQTT-3.1.4-3]
  EXPECT_TRUE(old_client.expect_closed(Deadline(5s)));
}

TEST_F(Connect, SessionTakeoverClosesTheOldV311Client) {
  start_broker();
  const std::string id = unique_client_id("takeover311");
  RawClient old_client(broker().port());
  ASSERT_TRUE(old_client.connect(wire::connect_spec(4, id), Deadline(5s)));
  RawClient new_client(broker().port());
  ASSERT_TRUE(new_client.connect(wire::connect_spec(4, id), Deadline(5s)));
  EXPECT_TRUE(old_client.expect_closed(Deadline(5s)));
  // The new connection stays usable.
  ASSERT_TRUE(new_client.send(wire::pingreq()));
  EXPECT_TRUE(new_client.receive_type(13, Deadline(5s)));
}

TEST_F(Connect, SilentClientIsDisconnectedAfterOneAndAHalfKeepAlives) {
  start_broker();
  RawClient raw(broker().port());
  const auto started = Clock::now();
  ASSERT_TRUE(raw.connect(wire::connect_spec(4, unique_client_id("ka"), true, 1),
                          Deadline(5s)));
  // [MQTT-3.1.2-24]: closed after 1.5 x keep alive without a control packet.
  EXPECT_TRUE(raw.expect_closed(Deadline(8s)));
  const auto elapsed = Clock::now() - started;
  EXPECT_GE(elapsed, 1000ms);
  // mosquitto 2.0.11 checks keep alive only every few seconds (closes after ~5.5 s): a known
  // deviation from [MQTT-3.1.2-24], tolerated in reference mode only.
  EXPECT_LE(elapsed, is_reference() ? 7000ms : 3000ms);
}

TEST_F(Connect, PingsWithinTheKeepAliveKeepTheConnectionOpen) {
  start_broker();
  RawClient raw(broker().port());
  ASSERT_TRUE(raw.connect(wire::connect_spec(4, unique_client_id("ping"), true, 1),
                          Deadline(5s)));
  // 4 rounds of 700 ms outlast 1.5 x keep alive several times over.
  for (int round = 0; round < 4; ++round) {
    EXPECT_EQ(raw.receive(Deadline(700ms)).status, ReadStatus::timeout) << "round " << round;
    ASSERT_TRUE(raw.send(wire::pingreq()));
    ASSERT_TRUE(raw.receive_type(13, Deadline(2s))) << "no PINGRESP in round " << round;
  }
}

TEST_F(Connect, ConnectionWithoutConnectIsClosedAfterTheConnectTimeout) {
  ARKMQ_ONLY("mosquitto 2.0.11 has no deadline for the first CONNECT");
  BrokerOptions options;
  options.arkmq_config = "connect_timeout = 2\n";  // the default is 10 s
  start_broker(options);
  RawClient raw(broker().port());
  const auto started = Clock::now();
  EXPECT_TRUE(raw.expect_closed(Deadline(6s)));
  EXPECT_GE(Clock::now() - started, 1500ms) << "closed well before connect_timeout";
  EXPECT_FALSE(raw.last_frame()) << "sent a packet to a client that never sent CONNECT";
}

}  // namespace
}  // namespace arkmq::test
