// What the core reports through BrokerEvents: accepted connections, every CONNECT answer,
// disconnects with their initiator, per-filter (un)subscribe results, accepted publishes, and
// every authorization refusal (publish, subscribe, receive: live, retained, queued; will).
#include <algorithm>
#include <mutex>

#include <gtest/gtest.h>

#include "broker/core/broker_events.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

// One event as plain values (the views of the call do not outlive it).
struct Recorded {
  std::string kind;  // "accepted", "login", "disconnected", "subscribed", ...
  std::string client_id;
  std::string principal;
  std::string peer;  // from the ConnectionInfo; "" when there was none
  std::string topic;
  std::optional<std::string> username;
  ReasonCode code = ReasonCode::success;
  std::string why;
  std::optional<DisconnectInitiator> by;
  std::optional<DeniedAction> action;
  std::optional<std::string> payload;
  std::uint8_t qos = 0;
  bool retain = false;
};

class RecordingEvents final : public BrokerEvents {
 public:
  void connection_accepted(const ConnectionInfo& connection) override {
    Recorded r;
    r.kind = "accepted";
    r.peer = connection.peer;
    add(std::move(r));
  }
  void login(const ClientIdentity& who, std::optional<std::string_view> username,
             ReasonCode result, std::string_view why) override {
    Recorded r = of("login", who);
    if (username) r.username = std::string(*username);
    r.code = result;
    r.why = why;
    add(std::move(r));
  }
  void disconnected(const ClientIdentity& who, ReasonCode reason, DisconnectInitiator by,
                    std::string_view why) override {
    Recorded r = of("disconnected", who);
    r.code = reason;
    r.by = by;
    r.why = why;
    add(std::move(r));
  }
  void subscribed(const ClientIdentity& who, std::string_view filter, ReasonCode result) override {
    Recorded r = of("subscribed", who);
    r.topic = filter;
    r.code = result;
    add(std::move(r));
  }
  void unsubscribed(const ClientIdentity& who, std::string_view filter,
                    ReasonCode result) override {
    Recorded r = of("unsubscribed", who);
    r.topic = filter;
    r.code = result;
    add(std::move(r));
  }
  void published(const ClientIdentity& who, const PublishFacts& message) override {
    Recorded r = of("published", who);
    facts(r, message);
    add(std::move(r));
  }
  void denied(const ClientIdentity& who, DeniedAction action, std::string_view topic,
              const PublishFacts* message) override {
    Recorded r = of("denied", who);
    r.action = action;
    if (message != nullptr) facts(r, *message);
    r.topic = topic;
    add(std::move(r));
  }

  std::vector<Recorded> of_kind(const std::string& kind) const {
    std::lock_guard lock(mutex_);
    std::vector<Recorded> out;
    std::copy_if(events_.begin(), events_.end(), std::back_inserter(out),
                 [&](const Recorded& r) { return r.kind == kind; });
    return out;
  }
  std::vector<Recorded> denials(DeniedAction action) const {
    std::vector<Recorded> out;
    for (Recorded& r : of_kind("denied")) {
      if (r.action == action) out.push_back(std::move(r));
    }
    return out;
  }

 private:
  static Recorded of(const char* kind, const ClientIdentity& who) {
    Recorded r;
    r.kind = kind;
    r.client_id = who.client_id;
    r.principal = who.principal;
    if (who.connection != nullptr) r.peer = who.connection->peer;
    return r;
  }
  static void facts(Recorded& r, const PublishFacts& message) {
    r.topic = message.topic;
    r.qos = message.qos;
    r.retain = message.retain;
    r.payload = std::string(message.payload.begin(), message.payload.end());
  }
  void add(Recorded r) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(r));
  }
  mutable std::mutex mutex_;
  std::vector<Recorded> events_;
};

constexpr const char* kPeer = "127.0.0.1:5000";  // TestClient's ConnectionInfo

class BrokerEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker = &fx.make();
    broker->set_events(events);
  }
  std::unique_ptr<TestClient> client(const std::string& id,
                                     ProtocolVersion version = ProtocolVersion::v5) {
    auto c = std::make_unique<TestClient>(*broker, version);
    EXPECT_EQ(c->connect(id).reason, ReasonCode::success);
    return c;
  }

  BrokerFixture fx;
  Broker* broker = nullptr;
  std::shared_ptr<RecordingEvents> events = std::make_shared<RecordingEvents>();
};

TEST_F(BrokerEventsTest, AcceptedConnectionIsReportedBeforeAnyByte) {
  TestClient c(*broker, ProtocolVersion::v5);
  const auto accepted = events->of_kind("accepted");
  ASSERT_EQ(accepted.size(), 1U);
  EXPECT_EQ(accepted[0].peer, kPeer);
}

TEST_F(BrokerEventsTest, SuccessfulLoginCarriesUsernamePrincipalAndWhy) {
  fx.policy->principal = "alice";
  fx.policy->why = "password ok";
  TestClient c(*broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "c1";
  connect.username = "alice";
  connect.password = "secret";
  ASSERT_EQ(c.connect(connect).reason, ReasonCode::success);
  const auto logins = events->of_kind("login");
  ASSERT_EQ(logins.size(), 1U);
  EXPECT_EQ(logins[0].code, ReasonCode::success);
  EXPECT_EQ(logins[0].client_id, "c1");
  EXPECT_EQ(logins[0].principal, "alice");
  EXPECT_EQ(logins[0].username, std::optional<std::string>("alice"));
  EXPECT_EQ(logins[0].why, "password ok");
  EXPECT_EQ(logins[0].peer, kPeer);
}

TEST_F(BrokerEventsTest, RefusedLoginIsReportedWithTheReasonAndNeverThePassword) {
  fx.policy->auth_reason = ReasonCode::bad_user_name_or_password;
  fx.policy->why = "unknown user 'mallory'";
  TestClient c(*broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "c1";
  connect.username = "mallory";
  connect.password = "hunter2";
  EXPECT_EQ(c.connect(connect).reason, ReasonCode::bad_user_name_or_password);
  const auto logins = events->of_kind("login");
  ASSERT_EQ(logins.size(), 1U);
  EXPECT_EQ(logins[0].code, ReasonCode::bad_user_name_or_password);
  EXPECT_EQ(logins[0].username, std::optional<std::string>("mallory"));
  EXPECT_EQ(logins[0].why, "unknown user 'mallory'");
  EXPECT_EQ(logins[0].why.find("hunter2"), std::string::npos);
  EXPECT_TRUE(events->of_kind("disconnected").empty()) << "a refused client never connected";
}

TEST_F(BrokerEventsTest, RefusalBeforeAuthenticationIsALoginEventToo) {
  TestClient c(*broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = std::string(fx.config.max_client_id_length + 1, 'x');
  EXPECT_EQ(c.connect(connect).reason, ReasonCode::client_identifier_not_valid);
  const auto logins = events->of_kind("login");
  ASSERT_EQ(logins.size(), 1U);
  EXPECT_EQ(logins[0].code, ReasonCode::client_identifier_not_valid);
}

TEST_F(BrokerEventsTest, ClientDisconnectIsReportedWithInitiatorClient) {
  auto c = client("c1");
  c->send(protocol::Disconnect{});
  const auto gone = events->of_kind("disconnected");
  ASSERT_EQ(gone.size(), 1U);
  EXPECT_EQ(gone[0].by, DisconnectInitiator::client);
  EXPECT_EQ(gone[0].code, ReasonCode::success);
  EXPECT_EQ(gone[0].client_id, "c1");
  EXPECT_EQ(gone[0].peer, kPeer);
  c->transport_closed();
  EXPECT_EQ(events->of_kind("disconnected").size(), 1U) << "reported twice";
}

TEST_F(BrokerEventsTest, LostConnectionIsReportedWithInitiatorTransport) {
  auto c = client("c1");
  c->transport_closed();
  const auto gone = events->of_kind("disconnected");
  ASSERT_EQ(gone.size(), 1U);
  EXPECT_EQ(gone[0].by, DisconnectInitiator::transport);
}

TEST_F(BrokerEventsTest, ProtocolViolationIsReportedWithInitiatorBrokerAndItsCode) {
  auto c = client("c1");
  c->send(protocol::Connect{});  // a second CONNECT
  const auto gone = events->of_kind("disconnected");
  ASSERT_EQ(gone.size(), 1U);
  EXPECT_EQ(gone[0].by, DisconnectInitiator::broker);
  EXPECT_EQ(gone[0].code, ReasonCode::protocol_error);
}

TEST_F(BrokerEventsTest, TakeoverReportsTheOldConnectionOnceWithInitiatorBroker) {
  auto first = client("c1");
  auto second = client("c1");
  first->transport_closed();  // the old connection's close arrives after the takeover
  const auto gone = events->of_kind("disconnected");
  ASSERT_EQ(gone.size(), 1U);
  EXPECT_EQ(gone[0].code, ReasonCode::session_taken_over);
  EXPECT_EQ(gone[0].by, DisconnectInitiator::broker);
  EXPECT_EQ(gone[0].peer, kPeer);
}

TEST_F(BrokerEventsTest, ShutdownReportsServerShuttingDown) {
  auto c = client("c1");
  broker->shutdown();
  c->transport_closed();
  const auto gone = events->of_kind("disconnected");
  ASSERT_EQ(gone.size(), 1U);
  EXPECT_EQ(gone[0].code, ReasonCode::server_shutting_down);
  EXPECT_EQ(gone[0].by, DisconnectInitiator::broker);
}

TEST_F(BrokerEventsTest, EachFilterIsReportedWithItsResultAndRefusalsAsDenials) {
  fx.policy->denied.push_back({Action::subscribe, "secret/#"});
  auto c = client("c1");
  c->send(protocol::Subscribe{
      1, {{"ok/+", {QoS::at_least_once}}, {"secret/#", {QoS::at_least_once}}}, {}});
  const auto subs = events->of_kind("subscribed");
  ASSERT_EQ(subs.size(), 2U);
  EXPECT_EQ(subs[0].topic, "ok/+");
  EXPECT_EQ(subs[0].code, ReasonCode::granted_qos_1);
  EXPECT_EQ(subs[1].topic, "secret/#");
  EXPECT_EQ(subs[1].code, ReasonCode::not_authorized);
  const auto denials = events->denials(DeniedAction::subscribe);
  ASSERT_EQ(denials.size(), 1U);
  EXPECT_EQ(denials[0].topic, "secret/#");
  EXPECT_EQ(denials[0].client_id, "c1");

  c->send(protocol::Unsubscribe{2, {"ok/+", "never"}, {}});
  const auto unsubs = events->of_kind("unsubscribed");
  ASSERT_EQ(unsubs.size(), 2U);
  EXPECT_EQ(unsubs[0].code, ReasonCode::success);
  EXPECT_EQ(unsubs[1].code, ReasonCode::no_subscription_existed);
}

TEST_F(BrokerEventsTest, AcceptedPublishIsReportedWithItsFacts) {
  auto c = client("c1");
  c->publish("t/a", "hello", QoS::at_least_once, true, 7);
  const auto published = events->of_kind("published");
  ASSERT_EQ(published.size(), 1U);
  EXPECT_EQ(published[0].topic, "t/a");
  EXPECT_EQ(published[0].qos, 1);
  EXPECT_TRUE(published[0].retain);
  EXPECT_EQ(published[0].payload, std::optional<std::string>("hello"));
  EXPECT_TRUE(events->of_kind("denied").empty());
}

TEST_F(BrokerEventsTest, RefusedPublishIsADenialAndNotAPublish) {
  fx.policy->denied.push_back({Action::publish, "t/secret"});
  auto c = client("c1");
  c->publish("t/secret", "nope", QoS::at_least_once, false, 7);
  EXPECT_TRUE(events->of_kind("published").empty());
  const auto denials = events->denials(DeniedAction::publish);
  ASSERT_EQ(denials.size(), 1U);
  EXPECT_EQ(denials[0].topic, "t/secret");
  EXPECT_EQ(denials[0].payload, std::optional<std::string>("nope"));
}

TEST_F(BrokerEventsTest, LiveDeliveryRefusedToASubscriberIsAReceiveDenial) {
  fx.policy->denied.push_back({Action::receive, "t/x"});
  auto subscriber = client("sub");
  subscriber->subscribe("t/#", QoS::at_least_once);
  auto publisher = client("pub");
  publisher->publish("t/x", "data", QoS::at_least_once, false, 3);
  const auto denials = events->denials(DeniedAction::receive);
  ASSERT_EQ(denials.size(), 1U);
  EXPECT_EQ(denials[0].client_id, "sub");
  EXPECT_EQ(denials[0].topic, "t/x");
  EXPECT_EQ(denials[0].peer, kPeer);
}

TEST_F(BrokerEventsTest, RetainedMessageRefusedToANewSubscriberIsAReceiveDenial) {
  auto publisher = client("pub");
  publisher->publish("r/x", "kept", QoS::at_least_once, true, 3);
  fx.policy->denied.push_back({Action::receive, "r/x"});
  auto subscriber = client("sub");
  subscriber->subscribe("r/#", QoS::at_least_once);
  const auto denials = events->denials(DeniedAction::receive);
  ASSERT_EQ(denials.size(), 1U);
  EXPECT_EQ(denials[0].client_id, "sub");
  EXPECT_TRUE(denials[0].retain);
}

TEST_F(BrokerEventsTest, QueuedMessageRevokedBeforeResumptionIsAReceiveDenial) {
  auto subscriber = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
  protocol::Properties expiry;
  expiry.session_expiry_interval = 600;
  ASSERT_EQ(subscriber->connect("sub", true, expiry).reason, ReasonCode::success);
  subscriber->subscribe("q/#", QoS::at_least_once);
  subscriber->transport_closed();
  auto publisher = client("pub");
  publisher->publish("q/x", "queued", QoS::at_least_once, false, 3);
  ASSERT_TRUE(events->denials(DeniedAction::receive).empty());
  fx.policy->denied.push_back({Action::receive, "q/x"});
  auto again = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
  ASSERT_EQ(again->connect("sub", false, expiry).reason, ReasonCode::success);
  const auto denials = events->denials(DeniedAction::receive);
  ASSERT_EQ(denials.size(), 1U);
  EXPECT_EQ(denials[0].client_id, "sub");
  EXPECT_EQ(denials[0].topic, "q/x");
}

TEST_F(BrokerEventsTest, WillRefusedAtConnectIsAWillDenialAndARefusedLogin) {
  fx.policy->denied.push_back({Action::publish, "will/c1"});
  TestClient c(*broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "c1";
  connect.will = protocol::Will{"will/c1", "bye", QoS::at_least_once, false, {}};
  EXPECT_EQ(c.connect(connect).reason, ReasonCode::not_authorized);
  const auto denials = events->denials(DeniedAction::will);
  ASSERT_EQ(denials.size(), 1U);
  EXPECT_EQ(denials[0].topic, "will/c1");
  EXPECT_EQ(denials[0].principal, "tester");
  const auto logins = events->of_kind("login");
  ASSERT_EQ(logins.size(), 1U);
  EXPECT_EQ(logins[0].code, ReasonCode::not_authorized);
}

TEST_F(BrokerEventsTest, WillRefusedWhenItFiresIsAWillDenial) {
  TestClient c(*broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "c1";
  connect.will = protocol::Will{"will/c1", "bye", QoS::at_least_once, false, {}};
  ASSERT_EQ(c.connect(connect).reason, ReasonCode::success);
  fx.policy->denied.push_back({Action::publish, "will/c1"});
  c.transport_closed();
  const auto denials = events->denials(DeniedAction::will);
  ASSERT_EQ(denials.size(), 1U);
  EXPECT_EQ(denials[0].client_id, "c1");
  EXPECT_EQ(denials[0].payload, std::optional<std::string>("bye"));
  EXPECT_EQ(denials[0].peer, kPeer);
}

TEST_F(BrokerEventsTest, NullEventsRestoreTheSilentDefault) {
  broker->set_events(nullptr);
  auto c = client("c1");
  c->publish("t", "x");
  EXPECT_TRUE(events->of_kind("published").empty());
}

TEST(BrokerSysExtra, ExtraValuesArePublishedUnderSysBroker) {
  BrokerFixture fx;
  fx.config.sys_interval = std::chrono::seconds(10);
  Broker& broker = fx.make_with_sys();
  broker.set_sys_extra([] {
    return std::vector<std::pair<std::string, std::string>>{{"audit/written", "42"}};
  });
  TestClient c(broker, ProtocolVersion::v5);
  c.connect("c1");
  c.subscribe("$SYS/broker/audit/#", QoS::at_most_once);
  broker.tick(t0());
  const auto publishes = c.received_of<protocol::Publish>();
  ASSERT_EQ(publishes.size(), 1U);
  EXPECT_EQ(publishes[0].topic, "$SYS/broker/audit/written");
  EXPECT_EQ(publishes[0].payload, "42");
}

}  // namespace
}  // namespace arkmq::core::test
