// Tests for ServiceRegistry: announce, withdraw, liveness, registry JSON, node selection.
#include "broker/services/registry.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace arkmq::services {
namespace {

using std::chrono::seconds;
using Changed = ServiceRegistry::Changed;

const TimePoint kT0{};

Announcement plc(bool available = true, std::vector<std::string> methods = {"read", "write"}) {
  Announcement a;
  a.service = "plc";
  a.version = "1.4.0";
  a.description = "line 3 PLC gateway";
  a.methods = std::move(methods);
  a.labels = {{"site", "plant-3"}};
  a.available = available;
  a.heartbeat = seconds(10);
  return a;
}

Changed announce_ok(ServiceRegistry& r, std::string_view node, std::string_view client,
                    Announcement a, TimePoint now) {
  auto result = r.announce(node, client, std::move(a), now);
  EXPECT_TRUE(result) << (result ? "" : result.error());
  return result ? *result : Changed{};
}

TEST(ServiceRegistry, AnnounceListsTheNodeAndReportsTheChange) {
  ServiceRegistry r;
  EXPECT_FALSE(r.known("plc"));
  EXPECT_EQ(announce_ok(r, "edge-1", "c1", plc(), kT0), Changed{"plc"});
  EXPECT_TRUE(r.known("plc"));
  ASSERT_EQ(r.nodes("plc").size(), 1u);
  EXPECT_EQ(r.nodes("plc")[0]->client_id, "c1");
}

TEST(ServiceRegistry, RepeatedHeartbeatChangesNothingButKeepsTheEntryAlive) {
  ServiceRegistry r;
  announce_ok(r, "edge-1", "c1", plc(), kT0);
  EXPECT_EQ(announce_ok(r, "edge-1", "c1", plc(), kT0 + seconds(25)), Changed{});
  EXPECT_EQ(r.expire(kT0 + seconds(50)), Changed{});  // 25 + 30 > 50
  EXPECT_EQ(r.nodes("plc").size(), 1u);
  EXPECT_EQ(announce_ok(r, "edge-1", "c1", plc(false), kT0 + seconds(51)), Changed{"plc"});
}

TEST(ServiceRegistry, EntryExpiresAfterThreeMissedHeartbeats) {
  ServiceRegistry r;
  announce_ok(r, "edge-1", "c1", plc(), kT0);
  EXPECT_EQ(r.next_expiry(), kT0 + seconds(30));
  EXPECT_EQ(r.expire(kT0 + seconds(29)), Changed{});
  EXPECT_EQ(r.expire(kT0 + seconds(30)), Changed{"plc"});
  EXPECT_TRUE(r.nodes("plc").empty());
  EXPECT_TRUE(r.known("plc"));  // still known: the topic stays with no nodes
  EXPECT_EQ(r.next_expiry(), std::nullopt);
}

TEST(ServiceRegistry, ConnectionCloseWithdrawsEveryEntryOfThatClient) {
  ServiceRegistry r;
  announce_ok(r, "edge-1", "c1", plc(), kT0);
  auto other = plc();
  other.service = "camera";
  announce_ok(r, "edge-1", "c1", other, kT0);
  announce_ok(r, "edge-2", "c2", plc(), kT0);
  EXPECT_EQ(r.connection_closed("c9"), Changed{});
  EXPECT_EQ(r.connection_closed("c1"), (Changed{"camera", "plc"}));
  ASSERT_EQ(r.nodes("plc").size(), 1u);
  EXPECT_EQ(r.nodes("plc")[0]->node, "edge-2");
}

TEST(ServiceRegistry, ReannounceFromANewConnectionMovesTheEntry) {
  ServiceRegistry r;
  announce_ok(r, "edge-1", "c1", plc(), kT0);
  announce_ok(r, "edge-1", "c1-new", plc(), kT0);
  EXPECT_EQ(r.connection_closed("c1"), Changed{});  // the old connection no longer owns it
  EXPECT_EQ(r.connection_closed("c1-new"), Changed{"plc"});
}

TEST(ServiceRegistry, ConnectionCloseStaysExactAfterWithdrawExpireAndMoves) {
  // connection_closed() skips clients with no entries by an index; it must follow every change.
  ServiceRegistry r;
  auto camera = plc();
  camera.service = "camera";
  announce_ok(r, "edge-1", "c1", plc(), kT0);
  announce_ok(r, "edge-1", "c1", camera, kT0);
  r.withdraw("edge-1", "plc");
  EXPECT_EQ(r.connection_closed("c1"), Changed{"camera"});
  EXPECT_EQ(r.connection_closed("c1"), Changed{});
  announce_ok(r, "edge-1", "c2", plc(), kT0);
  EXPECT_EQ(r.expire(kT0 + seconds(30)), Changed{"plc"});
  EXPECT_EQ(r.connection_closed("c2"), Changed{});
  announce_ok(r, "edge-1", "c3", plc(), kT0);
  announce_ok(r, "edge-1", "c4", camera, kT0);
  announce_ok(r, "edge-1", "c4", plc(), kT0);  // moved from c3
  EXPECT_EQ(r.connection_closed("c3"), Changed{});
  EXPECT_EQ(r.connection_closed("c4"), (Changed{"camera", "plc"}));
}

TEST(ServiceRegistry, WithdrawRemovesOnlyThatNodesEntry) {
  ServiceRegistry r;
  announce_ok(r, "edge-1", "c1", plc(), kT0);
  announce_ok(r, "edge-2", "c2", plc(), kT0);
  EXPECT_EQ(r.withdraw("edge-3", "plc"), Changed{});
  EXPECT_EQ(r.withdraw("edge-1", "nope"), Changed{});
  EXPECT_EQ(r.withdraw("edge-1", "plc"), Changed{"plc"});
  ASSERT_EQ(r.nodes("plc").size(), 1u);
  EXPECT_EQ(r.nodes("plc")[0]->node, "edge-2");
}

TEST(ServiceRegistry, RegistryJsonFollowsTheSpecAndHoldsNoAddressOrClientId) {
  ServiceRegistry r;
  EXPECT_EQ(r.registry_json("plc"), std::nullopt);
  announce_ok(r, "edge-plant-3", "secret-client-id", plc(), kT0);
  const auto text = r.registry_json("plc");
  ASSERT_TRUE(text);
  const auto json = nlohmann::json::parse(*text);
  const auto expected = nlohmann::json::parse(
      R"({"service": "plc", "available": true, "methods": ["read", "write"],
          "nodes": [{"node": "edge-plant-3", "version": "1.4.0", "available": true,
                     "labels": {"site": "plant-3"}, "description": "line 3 PLC gateway"}]})");
  EXPECT_EQ(json, expected);
  EXPECT_EQ(text->find("secret-client-id"), std::string::npos);
}

TEST(ServiceRegistry, AnnouncementAddressFieldsNeverReachTheRegistryJson) {
  // By construction: parsing drops unknown fields, and the JSON is built from known fields.
  const auto parsed = parse_announcement(
      "plc", R"({"methods": ["read"], "address": "10.1.2.3", "endpoint": "tcp://10.1.2.3:502"})");
  ASSERT_TRUE(parsed && *parsed);
  ServiceRegistry r;
  announce_ok(r, "edge-1", "c1", **parsed, kT0);
  const auto text = r.registry_json("plc");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find("10.1.2.3"), std::string::npos);
  EXPECT_EQ(text->find("address"), std::string::npos);
}

TEST(ServiceRegistry, LastNodeGoneLeavesAnUnavailableServiceWithNoNodes) {
  ServiceRegistry r;
  announce_ok(r, "edge-1", "c1", plc(), kT0);
  r.withdraw("edge-1", "plc");
  const auto json = nlohmann::json::parse(*r.registry_json("plc"));
  EXPECT_EQ(json["available"], false);
  EXPECT_TRUE(json["nodes"].empty());
}

TEST(ServiceRegistry, UnavailableNodeIsListedButNeverSelected) {
  ServiceRegistry r;
  announce_ok(r, "edge-1", "c1", plc(false), kT0);
  EXPECT_EQ(nlohmann::json::parse(*r.registry_json("plc"))["available"], false);
  EXPECT_EQ(r.select_node("plc", "read", std::nullopt).error(), ServiceStatus::no_node_available);
}

TEST(ServiceRegistry, SelectionDistinguishesUnknownServiceFromNoNode) {
  ServiceRegistry r;
  EXPECT_EQ(r.select_node("plc", "read", std::nullopt).error(), ServiceStatus::no_such_service);
  announce_ok(r, "edge-1", "c1", plc(), kT0);
  r.connection_closed("c1");
  EXPECT_EQ(r.select_node("plc", "read", std::nullopt).error(), ServiceStatus::no_node_available);
}

TEST(ServiceRegistry, RoundRobinVisitsEveryAvailableNodeInTurn) {
  ServiceRegistry r;
  announce_ok(r, "a", "ca", plc(), kT0);
  announce_ok(r, "b", "cb", plc(), kT0);
  announce_ok(r, "c", "cc", plc(false), kT0);
  announce_ok(r, "d", "cd", plc(), kT0);
  std::vector<std::string> picks;
  for (int i = 0; i < 6; ++i) {
    const auto node = r.select_node("plc", "read", std::nullopt);
    ASSERT_TRUE(node);
    picks.push_back((*node)->node);
  }
  EXPECT_EQ(picks, (std::vector<std::string>{"a", "b", "d", "a", "b", "d"}));
}

TEST(ServiceRegistry, PinnedNodeIsUsedOnlyWhenAvailable) {
  ServiceRegistry r;
  announce_ok(r, "a", "ca", plc(), kT0);
  announce_ok(r, "b", "cb", plc(false), kT0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*r.select_node("plc", "read", "a"))->node, "a");
  }
  EXPECT_EQ(r.select_node("plc", "read", "b").error(), ServiceStatus::no_node_available);
  EXPECT_EQ(r.select_node("plc", "read", "zzz").error(), ServiceStatus::no_node_available);
}

TEST(ServiceRegistry, NodesAreSelectedOnlyForMethodsTheyAnnounced) {
  ServiceRegistry r;
  announce_ok(r, "reader", "c1", plc(true, {"read"}), kT0);
  announce_ok(r, "any", "c2", plc(true, {}), kT0);  // declares no methods: serves any
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ((*r.select_node("plc", "write", std::nullopt))->node, "any");
  }
  EXPECT_EQ(r.available_nodes("plc", "read").size(), 2u);
  EXPECT_EQ(r.select_node("plc", "write", "reader").error(), ServiceStatus::no_node_available);
}

TEST(ServiceRegistry, LimitsRefuseNewServicesAndNodesWithoutChangingAnything) {
  ServiceRegistry r(RegistryLimits{1, 1});
  announce_ok(r, "a", "ca", plc(), kT0);
  EXPECT_FALSE(r.announce("b", "cb", plc(), kT0));
  auto other = plc();
  other.service = "camera";
  EXPECT_FALSE(r.announce("a", "ca", other, kT0));
  EXPECT_FALSE(r.known("camera"));
  EXPECT_EQ(r.nodes("plc").size(), 1u);
  ServiceRegistry none(RegistryLimits{10, 0});
  EXPECT_FALSE(none.announce("a", "ca", plc(), kT0));
  EXPECT_FALSE(none.known("plc"));
}

}  // namespace
}  // namespace arkmq::services
