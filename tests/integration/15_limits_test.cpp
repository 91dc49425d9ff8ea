// 15 limits and capabilities: what the configuration caps or disables is announced in CONNACK
// and enforced (maximum QoS, retain, wildcard/shared subscriptions, keep alive, session expiry,
// client id length) and the ACL default decision.
#include <gtest/gtest.h>

#include "tests/support/broker_test.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint8_t kSessionExpiry = 0x11, kServerKeepAlive = 0x13, kMaximumQoS = 0x24,
                       kRetainAvailable = 0x25, kWildcardAvailable = 0x28,
                       kSharedAvailable = 0x2A;
constexpr int kDisconnect = 14;

class Limits : public BrokerTest {
 protected:
  void start(const std::string& arkmq_config, const std::string& mosquitto_config = "") {
    BrokerOptions options;
    options.arkmq_config = arkmq_config;
    options.mosquitto_config = mosquitto_config;
    start_broker(options);
  }

  std::optional<std::uint32_t> connack_property(const RawSession& session, std::uint8_t id) {
    const auto value = wire::find_property(session.connack().properties, id);
    if (!value) return std::nullopt;
    return value->number;
  }
};

TEST_F(Limits, MaximumQoSIsAnnouncedAndQoS2PublishIsRefusedWith0x9B) {
  start("maximum_qos = 1\n", "max_qos 1\n");
  RawSession client(broker().port(), 5, unique_client_id("maxqos"));
  EXPECT_EQ(connack_property(client, kMaximumQoS), std::optional<std::uint32_t>(1));
  // Subscriptions are granted at most the maximum [MQTT-3.2.2-9] ...
  EXPECT_EQ(client.subscribe("mq/t", 2), (std::vector<std::uint8_t>{1}));
  // ... and a QoS 2 PUBLISH is a protocol violation answered with 0x9B [MQTT-3.2.2-11].
  client.raw().send(wire::publish(5, "mq/t", "x", 2, 1));
  auto disconnect = client.raw().receive_type(kDisconnect, Deadline(5s));
  ASSERT_TRUE(disconnect);
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x9B);
  EXPECT_TRUE(client.raw().expect_closed(Deadline(5s)));
}

TEST_F(Limits, RetainUnavailableIsAnnouncedAndRetainedPublishIsRefusedWith0x9A) {
  start("retain_available = false\n", "retain_available false\n");
  RawSession client(broker().port(), 5, unique_client_id("noretain"));
  EXPECT_EQ(connack_property(client, kRetainAvailable), std::optional<std::uint32_t>(0));
  client.raw().send(wire::publish(5, "nr/t", "x", 1, 1, true));
  auto disconnect = client.raw().receive_type(kDisconnect, Deadline(5s));
  ASSERT_TRUE(disconnect);
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x9A);  // [MQTT-3.2.2-14]
}

TEST_F(Limits, DisabledWildcardSubscriptionsAreRefusedWith0xA2) {
  ARKMQ_ONLY("mosquitto 2.0.11 cannot disable wildcard subscriptions");
  start("wildcard_subscriptions = false\n");
  RawSession client(broker().port(), 5, unique_client_id("nowild"));
  EXPECT_EQ(connack_property(client, kWildcardAvailable), std::optional<std::uint32_t>(0));
  EXPECT_EQ(client.subscribe("w/+", 1), (std::vector<std::uint8_t>{0xA2}));
  EXPECT_EQ(client.subscribe("w/exact", 1), (std::vector<std::uint8_t>{1}));
}

TEST_F(Limits, DisabledSharedSubscriptionsAreRefusedWith0x9E) {
  ARKMQ_ONLY("mosquitto 2.0.11 cannot disable shared subscriptions");
  start("shared_subscriptions = false\n");
  RawSession client(broker().port(), 5, unique_client_id("noshare"));
  EXPECT_EQ(connack_property(client, kSharedAvailable), std::optional<std::uint32_t>(0));
  EXPECT_EQ(client.subscribe("$share/g/t", 1), (std::vector<std::uint8_t>{0x9E}));
}

TEST_F(Limits, ServerKeepAliveCapsTheClientsKeepAlive) {
  start("max_keep_alive = 10\n", "max_keepalive 10\n");
  RawSession client(broker().port(), 5, unique_client_id("ka"));  // asks for 60
  EXPECT_EQ(connack_property(client, kServerKeepAlive), std::optional<std::uint32_t>(10));
}

TEST_F(Limits, LoweredSessionExpiryIsReturnedInConnack) {
  ARKMQ_ONLY("mosquitto 2.0.11 has no session expiry cap");
  start("max_session_expiry = 10\n");
  wire::PropertyWriter expiry;
  expiry.u32(kSessionExpiry, 3600);
  RawSession client(broker().port(), 5, unique_client_id("expiry"), true, expiry.bytes());
  EXPECT_EQ(connack_property(client, kSessionExpiry), std::optional<std::uint32_t>(10));
}

TEST_F(Limits, OverlongClientIdIsRefused) {
  ARKMQ_ONLY("max_client_id_length is arkmq's (default 256)");
  start("");
  for (const int version : {4, 5}) {
    RawClient client(broker().port());
    const auto connack =
        client.connect(wire::connect_spec(version, std::string(300, 'x')), Deadline(5s));
    ASSERT_TRUE(connack) << "v" << version;
    // v5 0x85 "Client Identifier not valid"; v3.1.1 return code 2 [MQTT-3.1.3-9].
    EXPECT_EQ(wire::parse_connack(*connack, version)->reason, version == 5 ? 0x85 : 0x02);
    EXPECT_TRUE(client.expect_closed(Deadline(5s)));
  }
}

TEST_F(Limits, AclDefaultDenyRefusesPublishAndSubscribe) {
  ARKMQ_ONLY("--acl-default is arkmq's");
  BrokerOptions options;
  options.extra_args = {"--acl-default", "deny"};
  start_broker(options);
  RawSession v5(broker().port(), 5, unique_client_id("denied5"));
  EXPECT_EQ(v5.subscribe("acl/t", 1), (std::vector<std::uint8_t>{0x87}));
  EXPECT_EQ(v5.publish("acl/t", "x", 1), std::optional<std::uint8_t>(0x87));
  RawSession v311(broker().port(), 4, unique_client_id("denied311"));
  EXPECT_EQ(v311.subscribe("acl/t", 1), (std::vector<std::uint8_t>{0x80}));
}

}  // namespace
}  // namespace arkmq::test
