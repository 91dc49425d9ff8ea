// The built-in `$svc/` rules (inbox, listing, serving), Response Information and MQTT 3.1.1
// callers (docs/protocol.md, "The `$svc/` namespace" and "Call").
#include <gtest/gtest.h>

#include "broker/core/service_rules.hpp"
#include "broker/core/service_test_fixture.hpp"

namespace arkmq::core::test {
namespace {

BuiltinAccess builtin_subscribe(std::string_view client_id, std::string_view filter,
                                std::string_view principal = "alice") {
  return builtin_subscribe_access(client_id, principal, filter);
}

TEST(ServiceRules, OnlyInboxFiltersStrictlyInsideTheOwnInboxAreAllowed) {
  EXPECT_EQ(builtin_subscribe("c1", "$svc/inbox/c1/#"), BuiltinAccess::allow);
  EXPECT_EQ(builtin_subscribe("c1", "$svc/inbox/c1/+/x"), BuiltinAccess::allow);
  EXPECT_EQ(builtin_subscribe("c1", "$svc/inbox/c1"), BuiltinAccess::deny);
  EXPECT_EQ(builtin_subscribe("c1", "$svc/inbox/#"), BuiltinAccess::deny);
  EXPECT_EQ(builtin_subscribe("c1", "$svc/inbox/+/#"), BuiltinAccess::deny);
  EXPECT_EQ(builtin_subscribe("c1", "$svc/inbox/c10/#"), BuiltinAccess::deny);
  EXPECT_EQ(builtin_subscribe("c1", "$svc/inbox"), BuiltinAccess::deny);
  EXPECT_EQ(builtin_subscribe("a/b", "$svc/inbox/a/b/#"), BuiltinAccess::deny);  // no inbox
  EXPECT_EQ(builtin_subscribe("c1", "$svc/#"), BuiltinAccess::not_builtin);
  EXPECT_EQ(builtin_subscribe("c1", "$svc/inboxes/x"), BuiltinAccess::not_builtin);
  EXPECT_EQ(builtin_subscribe("c1", "a/b"), BuiltinAccess::not_builtin);
}

TEST(ServiceRules, ListingAndOwnNodeCallsMayBeSubscribedWithWideFilters) {
  EXPECT_EQ(builtin_subscribe("c1", "$svc/registry/+"), BuiltinAccess::allow);
  EXPECT_EQ(builtin_subscribe("c1", "$svc/registry/#"), BuiltinAccess::allow);
  EXPECT_EQ(builtin_subscribe("c1", "$svc/registry/plc"), BuiltinAccess::not_builtin);  // the grant's
  EXPECT_EQ(builtin_subscribe("e1", "$svc/node/edge-1/call/#", "edge-1"), BuiltinAccess::allow);
  EXPECT_EQ(builtin_subscribe("e1", "$svc/node/edge-1/call/#", "edge-2"), BuiltinAccess::not_builtin);
  EXPECT_EQ(builtin_subscribe("e1", "$svc/node/edge-1/call/+", "edge-1"), BuiltinAccess::not_builtin);
  EXPECT_EQ(builtin_subscribe("e1", "$svc/node/edge-1/#", "edge-1"), BuiltinAccess::not_builtin);
  EXPECT_EQ(builtin_subscribe("e1", "$svc/node//call/#", ""), BuiltinAccess::not_builtin);  // anonymous
}

TEST(ServiceRules, OnlyTheOwnerReceivesInboxTopics) {
  EXPECT_EQ(builtin_receive_access("c1", "$svc/inbox/c1/r"), BuiltinAccess::allow);
  EXPECT_EQ(builtin_receive_access("c2", "$svc/inbox/c1/r"), BuiltinAccess::deny);
  EXPECT_EQ(builtin_receive_access("c1", "$svc/inbox/c1"), BuiltinAccess::deny);
  EXPECT_EQ(builtin_receive_access("c1", "$svc/registry/plc"), BuiltinAccess::not_builtin);
}

TEST_F(ServiceTest, ListingSeesOnlyTheServicesTheReceiveCheckAllows) {
  fx.policy->denied.emplace_back(Action::subscribe, "$svc/registry/+");  // built in anyway
  fx.policy->denied.emplace_back(Action::receive, "$svc/registry/secret");
  auto plc = start_node("edge-1", "edge-1-conn", "plc");
  auto secret = start_node("edge-2", "edge-2-conn", "secret");
  auto lister = connect_as("alice", "alice-1");
  ASSERT_EQ(lister->subscribe("$svc/registry/+", QoS::at_least_once),
            std::vector<ReasonCode>{ReasonCode::granted_qos_1});
  const auto got = lister->received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].topic, "$svc/registry/plc");
}

TEST_F(ServiceTest, NodeMaySubscribeToAllItsCallsButReceivesOnlyGrantedServices) {
  fx.policy->denied.emplace_back(Action::subscribe, "$svc/node/edge-1/call/#");
  fx.policy->denied.emplace_back(Action::receive, "$svc/node/edge-1/call/other/read");
  auto node = connect_as("edge-1", "edge-1-conn");
  ASSERT_EQ(node->subscribe("$svc/node/edge-1/call/#", QoS::at_least_once),
            std::vector<ReasonCode>{ReasonCode::granted_qos_1});
  ASSERT_EQ(announce(*node, "edge-1", "plc", "{}"), ReasonCode::success);
  ASSERT_EQ(announce(*node, "edge-1", "other", "{}"), ReasonCode::success);
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-1"), ReasonCode::success);
  EXPECT_EQ(one_publish(*node).topic, "$svc/node/edge-1/call/plc/read");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/other/read", "c-2"), ReasonCode::success);
  EXPECT_TRUE(node->received_of<protocol::Publish>().empty());
  EXPECT_EQ(user_property(one_publish(*caller), "svc-status"), "no_node_available");
}

TEST_F(ServiceTest, OwnInboxSubscriptionIsAllowedEvenWhenTheAuthorizerDenies) {
  fx.policy->denied.emplace_back(Action::subscribe, "$svc/inbox/alice-1/#");
  fx.policy->denied.emplace_back(Action::receive, "$svc/inbox/alice-1/r");
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");  // expects granted_qos_1
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-1"), ReasonCode::success);
  ASSERT_EQ(reply(*node, one_publish(*node), "42"), ReasonCode::success);
  EXPECT_EQ(one_publish(*caller).payload, "42");
}

TEST_F(ServiceTest, AnotherClientsInboxIsDeniedEvenWithAnAllowAllAuthorizer) {
  auto bob = connect_as("bob", "bob-1");
  EXPECT_EQ(bob->subscribe("$svc/inbox/alice-1/#", QoS::at_least_once),
            std::vector<ReasonCode>{ReasonCode::not_authorized});
  EXPECT_EQ(bob->subscribe("$svc/inbox/#", QoS::at_least_once),
            std::vector<ReasonCode>{ReasonCode::not_authorized});
  EXPECT_EQ(bob->subscribe("$share/g/$svc/inbox/alice-1/#", QoS::at_least_once),
            std::vector<ReasonCode>{ReasonCode::not_authorized});
  // A broad filter the Authorizer allows still receives nothing from another inbox.
  ASSERT_EQ(bob->subscribe("$svc/+/alice-1/#", QoS::at_least_once),
            std::vector<ReasonCode>{ReasonCode::granted_qos_1});
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-1"), ReasonCode::success);
  ASSERT_EQ(reply(*node, one_publish(*node), "secret"), ReasonCode::success);
  EXPECT_EQ(one_publish(*caller).payload, "secret");
  EXPECT_TRUE(bob->received_of<protocol::Publish>().empty());
}

TEST_F(ServiceTest, ResponseInformationIsTheInbox) {
  protocol::Properties p;
  p.request_response_information = 1;
  fx.policy->principal = "alice";
  TestClient c(*broker, ProtocolVersion::v5);
  EXPECT_EQ(c.connect("alice-1", true, p).properties.response_information, "$svc/inbox/alice-1/");
  TestClient no_inbox(*broker, ProtocolVersion::v5);
  EXPECT_FALSE(no_inbox.connect("a+b", true, p).properties.response_information);
}

TEST_F(ServiceTest, MqttV311CallIsDroppedAndLogged) {
  auto node = start_node("edge-1", "edge-1-conn");
  auto old = connect_as("alice", "alice-311", ProtocolVersion::v311);
  old->publish("$svc/call/plc/read", "{}", QoS::at_least_once);
  const auto acks = old->received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 1U);  // 3.1.1: acknowledged (no reason codes), then dropped
  EXPECT_TRUE(node->received_of<protocol::Publish>().empty());
  const auto dropped = events->of_kind("dropped");
  ASSERT_EQ(dropped.size(), 1U);
  EXPECT_EQ(dropped[0].why, "service calls need MQTT 5");
  EXPECT_EQ(dropped[0].client_id, "alice-311");
  EXPECT_TRUE(events->of_kind("call").empty());
}

TEST_F(ServiceTest, MqttV311NodeCanAnnounce) {
  // An announcement needs no MQTT 5 property (a 3.1.1 node's replies, without Correlation
  // Data, can never match a call, though).
  auto node = connect_as("edge-1", "edge-1-311", ProtocolVersion::v311);
  node->publish("$svc/announce/edge-1/plc", "{}", QoS::at_least_once);
  EXPECT_EQ(node->received_of<protocol::Puback>().size(), 1U);
  const auto registry = events->of_kind("registry");
  ASSERT_EQ(registry.size(), 1U);
  EXPECT_EQ(registry[0].nodes_available, 1U);
}

}  // namespace
}  // namespace arkmq::core::test
