// Broker::snapshot: connected clients (bounded, by client id) with their connection info, and
// the service registry with its nodes, methods and availability.
#include <gtest/gtest.h>

#include "broker/core/service_test_fixture.hpp"

namespace arkmq::core::test {
namespace {

class BrokerSnapshotTest : public ServiceTest {};

TEST_F(BrokerSnapshotTest, ListsOnlineClientsByIdWithTheirConnection) {
  auto b = connect_as("bob", "client-b");
  auto a = connect_as("alice", "client-a", ProtocolVersion::v311);
  a->subscribe("x/#", QoS::at_most_once);
  a->subscribe("y", QoS::at_most_once);

  const BrokerSnapshot snapshot = broker->snapshot(100);

  EXPECT_EQ(snapshot.clients_connected, 2U);
  ASSERT_EQ(snapshot.clients.size(), 2U);
  const ClientSnapshot& first = snapshot.clients[0];
  EXPECT_EQ(first.client_id, "client-a");
  EXPECT_EQ(first.principal, "alice");
  EXPECT_EQ(first.peer, "127.0.0.1:5000");
  EXPECT_EQ(first.listener, "mqtt://127.0.0.1:1883");
  EXPECT_FALSE(first.tls);
  EXPECT_EQ(first.protocol_version, 4);
  EXPECT_EQ(first.subscriptions, 2U);
  EXPECT_EQ(snapshot.clients[1].client_id, "client-b");
  EXPECT_EQ(snapshot.clients[1].principal, "bob");
  EXPECT_EQ(snapshot.clients[1].protocol_version, 5);
}

TEST_F(BrokerSnapshotTest, LeavesOutOfflinePersistentSessions) {
  protocol::Properties keep;
  keep.session_expiry_interval = 3600;
  auto gone = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
  gone->connect("persistent", true, keep);
  auto here = connect_as("tester", "here");
  gone->transport_closed();

  const BrokerSnapshot snapshot = broker->snapshot(100);

  EXPECT_EQ(broker->stats().sessions, 2U);
  EXPECT_EQ(snapshot.clients_connected, 1U);
  ASSERT_EQ(snapshot.clients.size(), 1U);
  EXPECT_EQ(snapshot.clients[0].client_id, "here");
}

TEST_F(BrokerSnapshotTest, ListsAtMostTheRequestedNumberButCountsEveryClient) {
  std::vector<std::unique_ptr<TestClient>> clients;
  for (const char* id : {"d", "b", "e", "a", "c"}) clients.push_back(connect_as("p", id));

  const BrokerSnapshot two = broker->snapshot(2);
  EXPECT_EQ(two.clients_connected, 5U);
  ASSERT_EQ(two.clients.size(), 2U);
  EXPECT_EQ(two.clients[0].client_id, "a");
  EXPECT_EQ(two.clients[1].client_id, "b");

  const BrokerSnapshot none = broker->snapshot(0);
  EXPECT_EQ(none.clients_connected, 5U);
  EXPECT_TRUE(none.clients.empty());
}

TEST_F(BrokerSnapshotTest, ListsServicesWithTheirNodesMethodsAndAvailability) {
  auto node1 = start_node("node-1", "n1", "plc", R"({"methods":["write","read"],"version":"2.1"})");
  auto node2 = start_node("node-2", "n2", "plc", R"({"available":false})");
  EXPECT_EQ(announce(*node1, "node-1", "camera", "{}"), ReasonCode::success);

  const BrokerSnapshot snapshot = broker->snapshot(10);

  ASSERT_EQ(snapshot.services.size(), 2U);
  EXPECT_EQ(snapshot.services[0].service, "camera");
  ASSERT_EQ(snapshot.services[0].nodes.size(), 1U);
  EXPECT_EQ(snapshot.services[0].nodes[0].node, "node-1");
  EXPECT_TRUE(snapshot.services[0].nodes[0].methods.empty());
  const ServiceSnapshot& plc = snapshot.services[1];
  EXPECT_EQ(plc.service, "plc");
  ASSERT_EQ(plc.nodes.size(), 2U);
  EXPECT_EQ(plc.nodes[0].node, "node-1");
  EXPECT_TRUE(plc.nodes[0].available);
  EXPECT_EQ(plc.nodes[0].methods, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(plc.nodes[0].version, "2.1");
  EXPECT_EQ(plc.nodes[1].node, "node-2");
  EXPECT_FALSE(plc.nodes[1].available);
  // node-1 is available for two services and counts once; node-2 is listed but unavailable.
  EXPECT_EQ(snapshot.edge_nodes_online, 1U);
}

TEST_F(BrokerSnapshotTest, KeepsAServiceWithoutNodesAfterItsNodeLeaves) {
  auto node = start_node("node-1", "n1");
  EXPECT_EQ(broker->snapshot(10).edge_nodes_online, 1U);
  node->transport_closed();

  const BrokerSnapshot snapshot = broker->snapshot(10);

  ASSERT_EQ(snapshot.services.size(), 1U);
  EXPECT_EQ(snapshot.services[0].service, "plc");
  EXPECT_TRUE(snapshot.services[0].nodes.empty());
  EXPECT_EQ(snapshot.edge_nodes_online, 0U);
  EXPECT_EQ(snapshot.clients_connected, 0U);
}

}  // namespace
}  // namespace arkmq::core::test
