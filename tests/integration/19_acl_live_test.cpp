// 19 live policy changes: what arkmqctl changes applies to clients that are already connected,
// once the broker has reloaded (it logs "policy reloaded: generation N"): new rules, removed
// rules, removed users, and a will whose publish right went away after CONNECT.
#include <gtest/gtest.h>

#include "tests/support/arkmqctl.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

const std::string kAdminPassword = "admin-pw-9Kd2";
const std::string kAlicePassword = "alice-pw-Xq7v2";

class AclLive : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped()) return;
    PolicyAdmin& admin = start_store_broker();
    admin.add_user("admin", kAdminPassword);
    admin.add_rule({"--allow", "--all", "--topic", "#", "--user", "admin"});
    admin.add_user("alice", kAlicePassword);
  }
  std::unique_ptr<UserSession> admin_session() { return login(5, "admin", kAdminPassword); }
  std::unique_ptr<UserSession> alice_session(int version = 5) {
    return login(version, "alice", kAlicePassword);
  }
};

TEST_F(AclLive, NewAllowRuleAppliesToAConnectedClient) {
  auto alice = alice_session();
  ASSERT_EQ(alice->publish("live/t", "before", 1), std::optional<std::uint8_t>(0x87));
  ASSERT_EQ(alice->subscribe("live/#", 1), (std::vector<std::uint8_t>{0x87}));
  admin().add_rule({"--allow", "--all", "--topic", "live/#", "--user", "alice"});
  // Same connection, no reconnect: the next operations use the reloaded rules.
  EXPECT_EQ(alice->subscribe("live/#", 1), (std::vector<std::uint8_t>{1}));
  EXPECT_LT(alice->publish("live/t", "after", 1).value_or(0xFF), 0x80);
  const auto received = alice->receive_until("after", Deadline(10s));
  EXPECT_TRUE(received.marker_seen) << "alice's own allowed publish did not come back";
}

TEST_F(AclLive, RemovedRuleStopsDeliveryToAnExistingSubscription) {
  const std::int64_t rule =
      admin().add_rule({"--allow", "--subscribe", "--receive", "--topic", "live/#", "--user",
                        "alice"});
  admin().add_rule(
      {"--allow", "--subscribe", "--receive", "--topic", "marker/#", "--user", "alice"});
  auto alice = alice_session();
  ASSERT_EQ(alice->subscribe("live/#", 1), (std::vector<std::uint8_t>{1}));
  ASSERT_EQ(alice->subscribe("marker/#", 1), (std::vector<std::uint8_t>{1}));
  auto publisher = admin_session();
  ASSERT_LT(publisher->publish("live/t", "while-allowed", 1).value_or(0xFF), 0x80);
  ASSERT_LT(publisher->publish("marker/1", "marker-1", 1).value_or(0xFF), 0x80);
  const auto before = alice->receive_until("marker-1", Deadline(10s));
  ASSERT_TRUE(before.marker_seen);
  ASSERT_EQ(topics_of(before.messages), (std::vector<std::string>{"live/t", "marker/1"}));

  admin().remove_rule(rule);
  ASSERT_LT(publisher->publish("live/t", "after-revoke", 1).value_or(0xFF), 0x80);
  ASSERT_LT(publisher->publish("marker/2", "marker-2", 1).value_or(0xFF), 0x80);
  const auto after = alice->receive_until("marker-2", Deadline(10s));
  ASSERT_TRUE(after.marker_seen) << "the still-allowed marker stopped too";
  EXPECT_EQ(topics_of(after.messages), (std::vector<std::string>{"marker/2"}))
      << "a revoked rule still delivers to the old subscription";
}

TEST_F(AclLive, RemovedUsersV5ClientIsDisconnectedWithNotAuthorized) {
  auto alice = alice_session(5);
  auto alice311 = alice_session(4);
  auto admin_client = admin_session();  // another principal: must stay connected
  admin().change({"user", "remove", "alice"});
  const auto disconnect = alice->raw().receive_type(14, Deadline(10s));
  ASSERT_TRUE(disconnect) << "no DISCONNECT after the user was removed";
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x87);
  EXPECT_TRUE(alice->raw().expect_closed(Deadline(5s)));
  EXPECT_TRUE(alice311->raw().expect_closed(Deadline(10s))) << "the 3.1.1 client stayed";
  // The removed user cannot come back; the other principal was not touched.
  EXPECT_EQ(connack_reason(broker().port(),
                           login_spec(5, unique_client_id("alice"), "alice", kAlicePassword)),
            std::optional<std::uint8_t>(0x86));
  EXPECT_LT(admin_client->publish("still/here", "x", 1).value_or(0xFF), 0x80);
}

TEST_F(AclLive, ChangedPasswordAppliesToTheNextLogin) {
  auto connected = alice_session();  // logged in with the old password (and cached as verified)
  admin().change({"user", "passwd", "alice", "--password", "alice-new-pw-3Hs"});
  EXPECT_EQ(connack_reason(broker().port(),
                           login_spec(5, unique_client_id("old"), "alice", kAlicePassword)),
            std::optional<std::uint8_t>(0x86))
      << "the old password still logs in";
  EXPECT_EQ(connack_reason(broker().port(),
                           login_spec(5, unique_client_id("new"), "alice", "alice-new-pw-3Hs")),
            std::optional<std::uint8_t>(0x00));
}

// The will test and its control share one procedure: alice connects with a will on wills/alice
// while allowed to publish there, the rule is (or is not) removed, and she leaves with DISCONNECT
// 0x04 ("disconnect with will message"). Once the broker has closed her connection the will was
// decided; the admin's marker, published after that, arrives after any will.
class AclLiveWill : public AclLive {
 protected:
  std::vector<std::string> payloads_after_leaving(bool revoke) {
    const std::int64_t rule =
        admin().add_rule({"--allow", "--publish", "--topic", "wills/alice", "--user", "alice"});
    auto watcher = admin_session();
    EXPECT_EQ(watcher->subscribe("wills/#", 1), (std::vector<std::uint8_t>{1}));
    auto spec = login_spec(5, unique_client_id("alice-will"), "alice", kAlicePassword);
    spec.will_topic = "wills/alice";
    spec.will_payload = "alice-will";
    spec.will_qos = 1;
    UserSession alice(broker().port(), spec);
    if (revoke) admin().remove_rule(rule);
    EXPECT_TRUE(alice.raw().send(wire::disconnect(5, 0x04)));
    EXPECT_TRUE(alice.raw().expect_closed(Deadline(5s)));
    EXPECT_LT(watcher->publish("wills/marker", "marker", 1).value_or(0xFF), 0x80);
    const auto received = watcher->receive_until("marker", Deadline(10s));
    EXPECT_TRUE(received.marker_seen);
    std::vector<std::string> payloads;
    for (const auto& message : received.messages) payloads.push_back(message.payload);
    return payloads;
  }
};

TEST_F(AclLiveWill, WillIsDeliveredWhileItsPublishRightHolds) {
  EXPECT_EQ(payloads_after_leaving(false), (std::vector<std::string>{"alice-will", "marker"}));
}

TEST_F(AclLiveWill, WillWhosePublishRightWasRevokedAfterConnectIsNotDelivered) {
  EXPECT_EQ(payloads_after_leaving(true), (std::vector<std::string>{"marker"}));
}

}  // namespace
}  // namespace arkmq::test
