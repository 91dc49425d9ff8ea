// Shared subscriptions with a member that may not receive the topic: the receive authorization
// is part of the member choice [MQTT-4.8.2], so the group passes the message to another member.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

// Accepts everyone and allows everything except `receive` for one client id; counts the
// `receive` questions so tests can check what the route step asks.
class MemberDenyingPolicy final : public Authenticator, public Authorizer {
 public:
  explicit MemberDenyingPolicy(std::string denied_client) : denied_(std::move(denied_client)) {}

  AuthResult authenticate(const ConnectionInfo&, const Credentials&) override {
    return {ReasonCode::success, "tester", {}};
  }
  Decision authorize(const AccessRequest& request) override {
    if (request.action != Action::receive) return Decision::allow;
    ++receive_checks;
    return request.client_id == denied_ ? Decision::deny : Decision::allow;
  }

  std::size_t receive_checks = 0;

 private:
  std::string denied_;
};

class SharedAuthorizationTest : public ::testing::Test {
 protected:
  BrokerConfig config;
  std::shared_ptr<MemberDenyingPolicy> policy = std::make_shared<MemberDenyingPolicy>("denied");
  std::unique_ptr<Broker> broker;

  Broker& make() {
    config.sys_interval = std::chrono::seconds(0);
    broker = std::make_unique<Broker>(config, policy, policy);
    return *broker;
  }

  // A persistent member of "$share/g/t" that then disconnects.
  static void offline_member(Broker& b, const std::string& id) {
    TestClient member(b, ProtocolVersion::v5);
    member.connect(id, false, session_expiry(600));
    member.subscribe("$share/g/t", QoS::at_least_once);
    member.send(protocol::Disconnect{});
  }

  static std::vector<protocol::Publish> resume(Broker& b, const std::string& id) {
    TestClient member(b, ProtocolVersion::v5);
    member.connect(id, false, session_expiry(600));
    return member.received_of<protocol::Publish>();
  }

  static void publish_n(Broker& b, int count) {
    TestClient pub(b, ProtocolVersion::v5);
    pub.connect("pub");
    for (int i = 0; i < count; ++i) {
      pub.publish("t", std::to_string(i), QoS::at_least_once, false,
                  static_cast<std::uint16_t>(i + 1));
    }
  }
};

TEST_F(SharedAuthorizationTest, AnOnlineMemberDeniedReceivePassesEveryMessageToAnAuthorizedOne) {
  Broker& b = make();
  TestClient allowed(b, ProtocolVersion::v5);
  allowed.connect("allowed");
  allowed.subscribe("$share/g/t", QoS::at_least_once);
  TestClient denied(b, ProtocolVersion::v5);
  denied.connect("denied");
  denied.subscribe("$share/g/t", QoS::at_least_once);

  publish_n(b, 4);
  EXPECT_EQ(allowed.received_of<protocol::Publish>().size(), 4U);
  EXPECT_TRUE(denied.received_of<protocol::Publish>().empty());
  EXPECT_EQ(b.stats().messages_dropped, 0U);
}

TEST_F(SharedAuthorizationTest, AnOfflineMemberDeniedReceiveLeavesEveryMessageToAnAuthorizedOne) {
  Broker& b = make();
  offline_member(b, "denied");
  offline_member(b, "allowed");

  publish_n(b, 4);
  EXPECT_EQ(resume(b, "allowed").size(), 4U);
  EXPECT_TRUE(resume(b, "denied").empty());
  EXPECT_EQ(b.stats().messages_dropped, 0U);
}

TEST_F(SharedAuthorizationTest, AuthorizedMembersStillTakeTurnsWhenOneIsDenied) {
  Broker& b = make();
  TestClient first(b, ProtocolVersion::v5);
  first.connect("first");
  first.subscribe("$share/g/t", QoS::at_least_once);
  TestClient denied(b, ProtocolVersion::v5);
  denied.connect("denied");
  denied.subscribe("$share/g/t", QoS::at_least_once);
  TestClient second(b, ProtocolVersion::v5);
  second.connect("second");
  second.subscribe("$share/g/t", QoS::at_least_once);

  publish_n(b, 6);
  EXPECT_EQ(first.received_of<protocol::Publish>().size(), 3U);
  EXPECT_EQ(second.received_of<protocol::Publish>().size(), 3U);
  EXPECT_TRUE(denied.received_of<protocol::Publish>().empty());
}

TEST_F(SharedAuthorizationTest, APlainOrChosenSubscriberIsAskedOnceForReceivePerMessage) {
  Broker& b = make();
  TestClient plain(b, ProtocolVersion::v5);
  plain.connect("plain");
  plain.subscribe("t", QoS::at_least_once);
  TestClient member(b, ProtocolVersion::v5);
  member.connect("member");
  member.subscribe("$share/g/t", QoS::at_least_once);
  member.subscribe("t", QoS::at_least_once);  // also plain: one merged delivery, one question

  policy->receive_checks = 0;
  publish_n(b, 3);
  EXPECT_EQ(plain.received_of<protocol::Publish>().size(), 3U);
  EXPECT_EQ(member.received_of<protocol::Publish>().size(), 3U);
  EXPECT_EQ(policy->receive_checks, 6U);  // one per (session, message)
}

}  // namespace
}  // namespace arkmq::core::test
