// Who may use a client id: the principal whose session holds it; what the authenticator is told
// about the client id; the refusal log line.
#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class SessionOwnership : public ::testing::Test {
 protected:
  // Connects `id` as `principal` (the ScriptedPolicy answers with it).
  protocol::Connack connect_as(TestClient& c, const std::string& principal, const std::string& id,
                               bool clean = false) {
    fx.policy->principal = principal;
    return c.connect(id, clean, session_expiry(60));
  }

  BrokerFixture fx;
};

TEST_F(SessionOwnership, OnlineSessionOfAnotherPrincipalIsNotTakenOver) {
  Broker& broker = fx.make();
  TestClient alice(broker, ProtocolVersion::v5);
  ASSERT_EQ(connect_as(alice, "alice", "dev").reason, ReasonCode::success);
  alice.subscribe("a/#", QoS::at_least_once);
  TestClient mallory(broker, ProtocolVersion::v5);
  protocol::Properties p = session_expiry(60);
  p.request_problem_information = 1;
  fx.policy->principal = "mallory";
  const auto connack = mallory.connect("dev", false, p);
  EXPECT_EQ(connack.reason, ReasonCode::not_authorized);
  EXPECT_EQ(connack.properties.reason_string, "client id is in use by another principal");
  EXPECT_TRUE(mallory.closed());
  // The owner is untouched: still connected, no DISCONNECT, still receiving.
  EXPECT_FALSE(alice.closed());
  EXPECT_TRUE(alice.received_of<protocol::Disconnect>().empty());
  EXPECT_EQ(broker.stats().clients_connected, 1U);
  TestClient pub(broker, ProtocolVersion::v5);
  connect_as(pub, "alice", "pub", true);
  pub.publish("a/b", "x", QoS::at_least_once);
  EXPECT_EQ(alice.received_of<protocol::Publish>().size(), 1U);
}

TEST_F(SessionOwnership, OfflineSessionOfAnotherPrincipalIsNeitherResumedNorCleaned) {
  Broker& broker = fx.make();
  {
    TestClient alice(broker, ProtocolVersion::v5);
    connect_as(alice, "alice", "dev");
    alice.subscribe("a/#", QoS::at_least_once);
    alice.send(protocol::Disconnect{});
  }
  TestClient resume(broker, ProtocolVersion::v5);
  EXPECT_EQ(connect_as(resume, "mallory", "dev", false).reason, ReasonCode::not_authorized);
  TestClient clean(broker, ProtocolVersion::v5);
  EXPECT_EQ(connect_as(clean, "mallory", "dev", true).reason, ReasonCode::not_authorized);
  EXPECT_EQ(broker.stats().sessions, 1U);
  EXPECT_EQ(broker.stats().subscriptions, 1U);
  TestClient owner(broker, ProtocolVersion::v5);
  EXPECT_TRUE(connect_as(owner, "alice", "dev", false).session_present);
}

TEST_F(SessionOwnership, SamePrincipalTakesOverAsBefore) {
  Broker& broker = fx.make();
  TestClient old(broker, ProtocolVersion::v5);
  connect_as(old, "alice", "dev");
  TestClient fresh(broker, ProtocolVersion::v5);
  EXPECT_TRUE(connect_as(fresh, "alice", "dev").session_present);
  const auto disconnects = old.received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::session_taken_over);
}

TEST_F(SessionOwnership, AnonymousSessionsAreTakenOverByAnonymousClientsOnly) {
  Broker& broker = fx.make();
  TestClient anon(broker, ProtocolVersion::v311);
  fx.policy->principal = "";
  ASSERT_EQ(anon.connect("dev", false).reason, ReasonCode::success);
  TestClient alice(broker, ProtocolVersion::v311);
  fx.policy->principal = "alice";
  alice.connect("dev", false);
  EXPECT_EQ((*alice.link().sent()[0])[3], 5);  // v3.1.1 return code 5: not authorized
  EXPECT_TRUE(alice.closed());
  EXPECT_FALSE(anon.closed());
  TestClient other_anon(broker, ProtocolVersion::v311);
  fx.policy->principal = "";
  EXPECT_TRUE(other_anon.connect("dev", false).session_present);
  EXPECT_TRUE(anon.closed());
}

TEST_F(SessionOwnership, AuthenticatedSessionIsNotTakenOverByAnAnonymousClient) {
  Broker& broker = fx.make();
  TestClient alice(broker, ProtocolVersion::v5);
  connect_as(alice, "alice", "dev");
  TestClient anon(broker, ProtocolVersion::v5);
  EXPECT_EQ(connect_as(anon, "", "dev").reason, ReasonCode::not_authorized);
  EXPECT_FALSE(alice.closed());
}

TEST_F(SessionOwnership, AuthenticatorIsToldWhetherTheClientIdWasAssigned) {
  Broker& broker = fx.make();
  TestClient named(broker, ProtocolVersion::v5);
  named.connect("dev");
  EXPECT_EQ(fx.policy->last_client_id, "dev");
  EXPECT_FALSE(fx.policy->last_client_id_assigned);
  TestClient unnamed(broker, ProtocolVersion::v5);
  const auto connack = unnamed.connect("");
  ASSERT_TRUE(connack.properties.assigned_client_identifier);
  EXPECT_EQ(fx.policy->last_client_id, *connack.properties.assigned_client_identifier);
  EXPECT_TRUE(fx.policy->last_client_id_assigned);
}

// Captures what the default logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_st>(out_));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(SessionOwnership, RefusalLogLineCarriesWhyPeerAndListenerButNotThePassword) {
  fx.policy->auth_reason = ReasonCode::bad_user_name_or_password;
  fx.policy->why = "wrong password for user 'alice'";
  Broker& broker = fx.make();
  LogCapture log;
  TestClient c(broker, ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "dev";
  connect.username = "alice";
  connect.password = std::string("s3cret-pw");
  connect.properties.request_problem_information = 1;
  const auto connack = c.connect(connect);
  EXPECT_EQ(connack.reason, ReasonCode::bad_user_name_or_password);
  // The client learns nothing about which part was wrong.
  EXPECT_EQ(connack.properties.reason_string, "authentication failed");
  const std::string text = log.text();
  EXPECT_NE(text.find("connection refused: id='dev' peer=127.0.0.1:5000 "
                      "listener=mqtt://127.0.0.1:1883: authentication failed: wrong password for "
                      "user 'alice'"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("s3cret-pw"), std::string::npos);
}

}  // namespace
}  // namespace arkmq::core::test
