// Announcements through the broker core: the registry and its retained `$svc/registry/S`
// (docs/protocol.md, "Announce", "Discover"), and that client `$svc/` messages are never
// routed as ordinary messages.
#include <gtest/gtest.h>

#include "broker/core/service_test_fixture.hpp"

namespace arkmq::core::test {
namespace {

TEST_F(ServiceTest, AnnouncementPublishesTheRegistryTopicRetained) {
  auto watcher = connect_as("alice", "alice-1");
  ASSERT_EQ(watcher->subscribe("$svc/registry/+", QoS::at_least_once),
            std::vector<ReasonCode>{ReasonCode::granted_qos_1});
  auto node = start_node("edge-1", "edge-1-conn", "plc",
                         R"({"version":"1.4.0","methods":["read"],"address":"10.0.0.1"})");
  const protocol::Publish live = one_publish(*watcher);
  EXPECT_EQ(live.topic, "$svc/registry/plc");
  EXPECT_NE(live.payload.find("\"edge-1\""), std::string::npos) << live.payload;
  EXPECT_NE(live.payload.find("1.4.0"), std::string::npos) << live.payload;
  EXPECT_EQ(live.payload.find("10.0.0.1"), std::string::npos) << "an address leaked";

  // A later subscriber gets it as a retained message.
  auto late = connect_as("bob", "bob-1");
  late->subscribe("$svc/registry/plc", QoS::at_least_once);
  const protocol::Publish retained = one_publish(*late);
  EXPECT_TRUE(retained.retain);
  EXPECT_EQ(retained.payload, live.payload);

  const auto registry = events->of_kind("registry");
  ASSERT_EQ(registry.size(), 1U);
  EXPECT_EQ(registry[0].service, "plc");
  EXPECT_EQ(registry[0].nodes_available, 1U);
}

TEST_F(ServiceTest, RepeatedIdenticalAnnouncementRepublishesNothing) {
  auto watcher = connect_as("alice", "alice-1");
  watcher->subscribe("$svc/registry/+", QoS::at_least_once);
  auto node = start_node("edge-1", "edge-1-conn");
  EXPECT_EQ(watcher->received_of<protocol::Publish>().size(), 1U);
  EXPECT_EQ(announce(*node, "edge-1", "plc", R"({"methods":["read"]})"), ReasonCode::success);
  EXPECT_TRUE(watcher->received_of<protocol::Publish>().empty());
}

TEST_F(ServiceTest, AnnouncementForAnotherNodeIsRefused) {
  auto watcher = connect_as("alice", "alice-1");
  watcher->subscribe("$svc/registry/+", QoS::at_least_once);
  auto mallory = connect_as("mallory", "mallory-1");
  EXPECT_EQ(announce(*mallory, "edge-1", "plc", "{}"), ReasonCode::not_authorized);
  EXPECT_TRUE(watcher->received_of<protocol::Publish>().empty());
  const auto dropped = events->of_kind("dropped");
  ASSERT_EQ(dropped.size(), 1U);
  EXPECT_EQ(dropped[0].topic, "$svc/announce/edge-1/plc");
  EXPECT_EQ(dropped[0].why.rfind("bad announcement", 0), 0U) << dropped[0].why;
  // And no call can reach such a "node".
  auto caller = start_caller("alice", "alice-2");
  ASSERT_EQ(call(*caller, "alice-2", "$svc/call/plc/read", "c"), ReasonCode::success);
  EXPECT_EQ(user_property(one_publish(*caller), "svc-status"), "no_such_service");
}

TEST_F(ServiceTest, InvalidAnnouncementIsRefusedAndReported) {
  auto node = connect_as("edge-1", "edge-1-conn");
  EXPECT_EQ(announce(*node, "edge-1", "plc", "{not json"),
            ReasonCode::implementation_specific_error);
  ASSERT_EQ(events->of_kind("dropped").size(), 1U);
  EXPECT_TRUE(events->of_kind("registry").empty());
}

TEST_F(ServiceTest, AnnouncementDeniedByTheAuthorizerChangesNothing) {
  fx.policy->denied.emplace_back(Action::publish, "$svc/announce/edge-1/plc");
  auto node = connect_as("edge-1", "edge-1-conn");
  EXPECT_EQ(announce(*node, "edge-1", "plc", "{}"), ReasonCode::not_authorized);
  EXPECT_TRUE(events->of_kind("registry").empty());
}

TEST_F(ServiceTest, EmptyPayloadWithdrawsAndTheServiceStaysKnownWithoutNodes) {
  auto watcher = connect_as("alice", "alice-1");
  watcher->subscribe("$svc/registry/+", QoS::at_least_once);
  auto node = start_node("edge-1", "edge-1-conn");
  watcher->received_of<protocol::Publish>();
  EXPECT_EQ(announce(*node, "edge-1", "plc", ""), ReasonCode::success);
  const protocol::Publish update = one_publish(*watcher);
  EXPECT_NE(update.payload.find("\"nodes\":[]"), std::string::npos) << update.payload;
  auto caller = start_caller("alice", "alice-2");
  ASSERT_EQ(call(*caller, "alice-2", "$svc/call/plc/read", "c"), ReasonCode::success);
  EXPECT_EQ(user_property(one_publish(*caller), "svc-status"), "no_node_available");
}

TEST_F(ServiceTest, SilentNodeExpiresAfterThreeHeartbeatsOnTheServicesTick) {
  auto watcher = connect_as("alice", "alice-1");
  watcher->subscribe("$svc/registry/+", QoS::at_least_once);
  auto node = start_node("edge-1", "edge-1-conn", "plc", R"({"heartbeat_s":2})");
  watcher->received_of<protocol::Publish>();
  broker->tick_services(t0() + 5s);
  EXPECT_TRUE(watcher->received_of<protocol::Publish>().empty());
  broker->tick_services(t0() + 6s);
  EXPECT_NE(one_publish(*watcher).payload.find("\"nodes\":[]"), std::string::npos);
  EXPECT_EQ(events->of_kind("registry").back().nodes_available, 0U);
}

TEST_F(ServiceTest, ClientServiceMessagesAreNeverRoutedToSubscribers) {
  // Even a subscriber the Authorizer lets read all of `$svc/` sees only the broker's messages.
  auto spy = connect_as("spy", "spy-1");
  ASSERT_EQ(spy->subscribe("$svc/#", QoS::at_least_once),
            std::vector<ReasonCode>{ReasonCode::granted_qos_1});
  auto node = start_node("edge-1", "edge-1-conn");
  auto caller = start_caller("alice", "alice-1");
  ASSERT_EQ(call(*caller, "alice-1", "$svc/call/plc/read", "c-1"), ReasonCode::success);
  const protocol::Publish request = one_publish(*node);
  ASSERT_EQ(reply(*node, request, "42"), ReasonCode::success);
  EXPECT_EQ(one_publish(*caller).payload, "42");
  for (const auto& seen : spy->received_of<protocol::Publish>()) {
    EXPECT_EQ(seen.topic, "$svc/registry/plc") << "routed as an ordinary message";
  }
}

TEST_F(ServiceTest, OtherBrokerOwnedSvcTopicsStayRefused) {
  // The fixture's Authorizer allows everything: these refusals are the core's own.
  auto client = connect_as("alice", "alice-1");
  for (const char* topic : {"$svc/inbox/alice-1/r", "$svc/registry/plc",
                            "$svc/node/edge-1/call/plc/read", "$svc/x"}) {
    client->publish(topic, "forged", QoS::at_least_once);
    EXPECT_EQ(puback_of(*client), ReasonCode::not_authorized) << topic;
  }
}

}  // namespace
}  // namespace arkmq::core::test
