// Telemetry through arkmq-edge: QoS 1 messages published at the edge site while the cloud is
// down are kept in the outbox and all arrive after the cloud comes back on the same port.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "edge-client/edge_fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::edge::test {
namespace {

using namespace std::chrono_literals;

std::string telemetry_config(const Mosquitto& cloud, const Mosquitto& local, const std::string& outbox) {
  return "[node]\nname = \"edge-tm\"\n"
         "[cloud]\nurl = \"" + cloud.mqtt_url() + "\"\nreconnect_min_ms = 100\nreconnect_max_ms = 800\n"
         "[local]\nurl = \"" + local.mqtt_url() + "\"\n"
         "[outbox]\npath = \"" + outbox + "\"\n"
         "[[bridge]]\ndirection = \"out\"\nlocal = \"sensors/#\"\ncloud = \"sites/tm/sensors/#\"\n"
         "[[bridge]]\ndirection = \"in\"\nlocal = \"commands/#\"\ncloud = \"sites/tm/commands/#\"\n";
}

TEST(EdgeTelemetry, QosOneMessagesPublishedWhileTheCloudIsDownAllArriveAfterItReturns) {
  arkmq::test::TempDir dir("arkmq-edge-tm");
  Mosquitto cloud(/*persistent=*/true);
  Mosquitto local;
  const std::string watcher_id = arkmq::test::unique_client_id("cloud-watch");
  auto watcher = connect_client(cloud.uri(), "", false, 3600, watcher_id);
  watcher->subscribe("sites/tm/sensors/#", 1);
  EdgeProcess edge(telemetry_config(cloud, local, dir.file("outbox.db")));
  auto sensor = connect_client(local.uri(), "sensor");

  // The path works: a first message crosses (with its bridge marks and sequence number).
  sensor->publish("sensors/probe", "probe", 1);
  ASSERT_TRUE(watcher->messages().wait_for_payload("probe", 10s));
  const auto probe = watcher->messages().messages().back();
  EXPECT_EQ(probe->get_topic(), "sites/tm/sensors/probe");
  EXPECT_EQ(user_property(probe, "arkmq-origin"), "edge-tm");
  EXPECT_EQ(user_property(probe, "arkmq-hops"), "1");
  EXPECT_FALSE(user_property(probe, "arkmq-seq").empty());
  EXPECT_EQ(user_property(probe, "arkmq-epoch").size(), 16U);
  watcher.reset();  // its session (and subscription) stays at the cloud broker

  cloud.stop();
  ASSERT_TRUE(edge.wait_for_log("cloud link down", 10s));
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(sensor->publish("sensors/line3/t" + std::to_string(i % 7), "m-" + std::to_string(i), 1),
              mqtt::ReasonCode::SUCCESS);
  }
  cloud.start();
  watcher = connect_client(cloud.uri(), "", false, 3600, watcher_id);

  // Every message arrives; a duplicate is allowed only when marked as a replay.
  std::set<std::string> distinct;
  std::map<std::string, int> copies;
  std::size_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (distinct.size() < static_cast<std::size_t>(kCount) && std::chrono::steady_clock::now() < deadline) {
    if (!watcher->messages().wait_for(seen + 1, 5s)) continue;
    const auto messages = watcher->messages().messages();
    for (; seen < messages.size(); ++seen) {
      const auto& message = messages[seen];
      const std::string payload = message->get_payload_str();
      if (payload.rfind("m-", 0) != 0) continue;
      EXPECT_FALSE(user_property(message, "arkmq-seq").empty());
      if (++copies[payload] > 1) {
        EXPECT_EQ(user_property(message, "arkmq-replay"), "1") << "unmarked duplicate of " << payload;
      }
      distinct.insert(payload);
    }
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kCount));

  // The outbox drains once the cloud acknowledged everything (the status refreshes every 5 s).
  auto status = connect_client(local.uri(), "status");
  status->subscribe("arkmq-edge/status", 1);
  bool drained = false;
  for (std::size_t read = 0; !drained && status->messages().wait_for(read + 1, 15s); ++read) {
    const std::string body = status->messages().messages()[read]->get_payload_str();
    drained = body.find("\"depth\":0,") != std::string::npos && body.find("\"link\":\"up\"") != std::string::npos;
  }
  EXPECT_TRUE(drained);
}

TEST(EdgeTelemetry, CloudToLocalRuleDeliversAndLoopPreventionStopsTheEcho) {
  arkmq::test::TempDir dir("arkmq-edge-tm");
  Mosquitto cloud;
  Mosquitto local;
  // An "out" rule that also covers what the "in" rule delivers locally would echo it back to
  // the cloud without loop prevention.
  const std::string config =
      "[node]\nname = \"edge-loop\"\n"
      "[cloud]\nurl = \"" + cloud.mqtt_url() + "\"\n"
      "[local]\nurl = \"" + local.mqtt_url() + "\"\n"
      "[outbox]\npath = \"" + dir.file("outbox.db") + "\"\n"
      "[[bridge]]\ndirection = \"in\"\nlocal = \"shared/#\"\ncloud = \"cloud/shared/#\"\n"
      "[[bridge]]\ndirection = \"out\"\nlocal = \"shared/#\"\ncloud = \"cloud/shared/#\"\n";
  auto cloud_client = connect_client(cloud.uri(), "cloud-side");
  cloud_client->subscribe("cloud/shared/#", 1, mqtt::subscribe_options(true));
  EdgeProcess edge(config);
  auto local_client = connect_client(local.uri(), "local-side");
  local_client->subscribe("shared/#", 1);

  cloud_client->publish("cloud/shared/cmd", "from-cloud", 1);
  ASSERT_TRUE(local_client->messages().wait_for_payload("from-cloud", 10s));
  const auto delivered = local_client->messages().messages().back();
  EXPECT_EQ(delivered->get_topic(), "shared/cmd");
  EXPECT_EQ(user_property(delivered, "arkmq-origin"), "edge-loop");

  // A marker published locally afterwards goes out; per-connection ordering means the echo of
  // "from-cloud", had it been bridged back, would arrive before it.
  local_client->publish("shared/marker", "marker", 1);
  ASSERT_TRUE(cloud_client->messages().wait_for_payload("marker", 10s));
  for (const auto& payload : cloud_client->messages().payloads()) EXPECT_NE(payload, "from-cloud");
}

}  // namespace
}  // namespace arkmq::edge::test

namespace arkmq::edge::test {
namespace {

TEST(EdgeTelemetry, OutboxSurvivesAnEdgeRestartAndIsSentMarkedAsReplay) {
  arkmq::test::TempDir dir("arkmq-edge-tm");
  Mosquitto cloud(/*persistent=*/true);
  Mosquitto local;
  const std::string watcher_id = arkmq::test::unique_client_id("cloud-watch");
  auto watcher = connect_client(cloud.uri(), "", false, 3600, watcher_id);
  watcher->subscribe("sites/tm/sensors/#", 1);
  watcher.reset();
  cloud.stop();
  constexpr int kCount = 100;
  {
    EdgeProcess edge(telemetry_config(cloud, local, dir.file("outbox.db")), /*wait_for_link=*/false);
    ASSERT_TRUE(edge.wait_for_log("bridge filters subscribed", 10s));
    auto sensor = connect_client(local.uri(), "sensor");
    for (int i = 0; i < kCount; ++i) {
      ASSERT_EQ(sensor->publish("sensors/r", "r-" + std::to_string(i), 1), mqtt::ReasonCode::SUCCESS);
    }
    // All stored: the status shows the depth (refreshed at least every 5 s).
    auto status = connect_client(local.uri(), "status");
    status->subscribe("arkmq-edge/status", 1);
    bool stored = false;
    for (std::size_t read = 0; !stored && status->messages().wait_for(read + 1, 15s); ++read) {
      stored = status->messages().messages()[read]->get_payload_str().find(
                   "\"depth\":" + std::to_string(kCount) + ",") != std::string::npos;
    }
    ASSERT_TRUE(stored);
    EXPECT_EQ(edge.stop(), 0);
  }
  cloud.start();
  EdgeProcess edge(telemetry_config(cloud, local, dir.file("outbox.db")));
  watcher = connect_client(cloud.uri(), "", false, 3600, watcher_id);
  ASSERT_TRUE(watcher->messages().wait_for(kCount, 30s));
  std::set<std::string> distinct;
  long previous_seq = 0;
  for (const auto& message : watcher->messages().messages()) {
    distinct.insert(message->get_payload_str());
    EXPECT_EQ(user_property(message, "arkmq-replay"), "1");  // found in the file at startup
    const long seq = std::stol(user_property(message, "arkmq-seq"));
    EXPECT_GT(seq, previous_seq);  // replayed in order
    previous_seq = seq;
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kCount));
}

TEST(EdgeTelemetry, StatusCommandFailsWhenNoEdgeIsRunning) {
  Mosquitto local;
  arkmq::test::TempDir dir("arkmq-edge-tm");
  arkmq::test::write_file(dir.file("edge.toml"),
                          "[node]\nname = \"nobody\"\n[cloud]\nurl = \"mqtt://127.0.0.1:1\"\n"
                          "[local]\nurl = \"" + local.mqtt_url() + "\"\n");
  const auto result = arkmq::test::run_command({edge_binary(), "status", "--config", dir.file("edge.toml")}, 20s);
  EXPECT_TRUE(result.status.exited);
  EXPECT_EQ(result.status.code, 1) << result.output;
  EXPECT_NE(result.output.find("no status on arkmq-edge/status"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace arkmq::edge::test
