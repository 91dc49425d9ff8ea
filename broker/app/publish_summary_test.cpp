// PublishSummary with a fake clock and a recording sink: counts and bytes per key, keys kept
// apart, rows at interval boundaries, the key bound writing early, and nothing lost at flush.
#include "broker/app/publish_summary.hpp"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "broker/app/audit_bridge.hpp"
#include "broker/app/audit_wiring.hpp"
#include "storage/audit_recording_sink.hpp"

namespace arkmq::app {
namespace {

using core::ClientIdentity;
using core::PublishFacts;
using storage::AuditEvent;

std::span<const std::uint8_t> bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

nlohmann::json details(const AuditEvent& event) { return nlohmann::json::parse(event.details); }

std::uint64_t total_count(const std::vector<AuditEvent>& rows) {
  std::uint64_t total = 0;
  for (const AuditEvent& row : rows) total += details(row).at("count").get<std::uint64_t>();
  return total;
}

class PublishSummaryTest : public ::testing::Test {
 protected:
  PublishSummaryTest() {
    connection.peer = "127.0.0.1:50412";
    connection.listener = "mqtt://127.0.0.1:1883";
  }
  PublishSummaryOptions options(std::size_t max_keys = 10000) {
    PublishSummaryOptions out;
    out.max_keys = max_keys;
    out.clock = [this] { return now_us; };
    return out;
  }
  ClientIdentity alice() const { return ClientIdentity{"c1", "alice", &connection}; }
  ClientIdentity bob() const { return ClientIdentity{"c2", "bob", &connection}; }

  core::ConnectionInfo connection;
  storage::RecordingAuditSink sink;
  std::int64_t now_us = 1'700'000'000'000'000;
};

TEST_F(PublishSummaryTest, CountsBytesAndLargestSizeOfOneKeyInOneRow) {
  PublishSummary summary(sink, options());
  summary.add(alice(), PublishFacts{"a/b", 1, false, bytes("abc")});
  now_us += 10;
  summary.add(alice(), PublishFacts{"a/b", 1, false, bytes("abcdefg")});
  now_us += 10;
  summary.add(alice(), PublishFacts{"a/b", 1, false, bytes("")});
  EXPECT_TRUE(sink.events().empty());  // nothing written before the interval ends
  summary.flush();
  const auto rows = sink.events();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].type, storage::AuditType::publish);
  EXPECT_EQ(rows[0].outcome, storage::AuditOutcome::allow);
  EXPECT_EQ(rows[0].client_id, "c1");
  EXPECT_EQ(rows[0].principal, "alice");
  EXPECT_EQ(rows[0].peer, "127.0.0.1:50412");
  EXPECT_EQ(rows[0].listener, "mqtt://127.0.0.1:1883");
  EXPECT_EQ(rows[0].topic, "a/b");
  EXPECT_EQ(rows[0].time_us, 1'700'000'000'000'000);  // the first publish of the interval
  EXPECT_EQ(details(rows[0]), (nlohmann::json{{"qos", 1},
                                              {"retain", false},
                                              {"count", 3},
                                              {"bytes", 10},
                                              {"size_max", 7},
                                              {"last_us", 1'700'000'000'000'020}}));
  EXPECT_FALSE(rows[0].payload.has_value());
}

TEST_F(PublishSummaryTest, KeepsClientsTopicsQosAndRetainApart) {
  PublishSummary summary(sink, options());
  summary.add(alice(), PublishFacts{"a", 0, false, bytes("x")});
  summary.add(bob(), PublishFacts{"a", 0, false, bytes("x")});
  summary.add(alice(), PublishFacts{"b", 0, false, bytes("x")});
  summary.add(alice(), PublishFacts{"a", 1, false, bytes("x")});
  summary.add(alice(), PublishFacts{"a", 0, true, bytes("x")});
  summary.add(alice(), PublishFacts{"a", 0, false, bytes("x")});
  core::ConnectionInfo other = connection;
  other.peer = "127.0.0.1:50413";
  summary.add(ClientIdentity{"c1", "alice", &other}, PublishFacts{"a", 0, false, bytes("x")});
  // Fields the hash leaves out are still part of the key.
  summary.add(ClientIdentity{"c1", "mallory", &connection}, PublishFacts{"a", 0, false, bytes("x")});
  core::ConnectionInfo tls = connection;
  tls.listener = "mqtts://127.0.0.1:8883";
  summary.add(ClientIdentity{"c1", "alice", &tls}, PublishFacts{"a", 0, false, bytes("x")});
  EXPECT_EQ(summary.pending_keys(), 8u);
  summary.flush();
  const auto rows = sink.events();
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(total_count(rows), 9u);
  EXPECT_EQ(summary.pending_keys(), 0u);
}

TEST_F(PublishSummaryTest, WritesARowWhenItsIntervalEndsAndStartsANewOne) {
  PublishSummary summary(sink, options());
  summary.add(alice(), PublishFacts{"a", 0, false, bytes("x")});
  now_us += 999'999;
  summary.add(alice(), PublishFacts{"a", 0, false, bytes("x")});
  summary.tick();
  EXPECT_TRUE(sink.events().empty()) << "written before its second ended";
  now_us += 1;  // one second after the first publish
  summary.tick();
  ASSERT_EQ(sink.events().size(), 1u);
  EXPECT_EQ(details(sink.events()[0])["count"], 2);
  summary.add(alice(), PublishFacts{"a", 0, false, bytes("x")});
  summary.flush();
  const auto rows = sink.events();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(details(rows[1])["count"], 1);
  EXPECT_EQ(rows[1].time_us, now_us);
}

TEST_F(PublishSummaryTest, APublishAfterTheIntervalWritesThePreviousRowWithoutATick) {
  PublishSummary summary(sink, options());
  summary.add(alice(), PublishFacts{"a", 0, false, bytes("x")});
  now_us += 1'500'000;
  summary.add(alice(), PublishFacts{"a", 0, false, bytes("yy")});
  auto rows = sink.events();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(details(rows[0])["count"], 1);
  EXPECT_EQ(details(rows[0])["bytes"], 1);
  summary.flush();
  rows = sink.events();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(details(rows[1])["bytes"], 2);
  EXPECT_EQ(rows[1].time_us, now_us);
}

TEST_F(PublishSummaryTest, TickWritesOnlyTheKeysWhoseIntervalEnded) {
  PublishSummary summary(sink, options());
  summary.add(alice(), PublishFacts{"early", 0, false, bytes("x")});
  now_us += 600'000;
  summary.add(alice(), PublishFacts{"late", 0, false, bytes("x")});
  now_us += 500'000;
  summary.tick();
  ASSERT_EQ(sink.events().size(), 1u);
  EXPECT_EQ(sink.events()[0].topic, "early");
  EXPECT_EQ(summary.pending_keys(), 1u);
  now_us += 500'000;
  summary.tick();
  ASSERT_EQ(sink.events().size(), 2u);
  EXPECT_EQ(sink.events()[1].topic, "late");
}

TEST_F(PublishSummaryTest, ReachingTheKeyBoundWritesEveryPendingRowAndDropsNothing) {
  PublishSummaryOptions one_shard = options(3);
  one_shard.shards = 1;  // the bound is per shard: one shard holds all three
  PublishSummary summary(sink, one_shard);
  for (int i = 0; i < 3; ++i) {
    summary.add(alice(), PublishFacts{"t/" + std::to_string(i), 0, false, bytes("x")});
  }
  summary.add(alice(), PublishFacts{"t/0", 0, false, bytes("x")});  // a hit: no flush
  EXPECT_TRUE(sink.events().empty());
  summary.add(alice(), PublishFacts{"t/3", 0, false, bytes("x")});  // a 4th key: bound reached
  EXPECT_EQ(sink.events().size(), 3u);
  EXPECT_EQ(total_count(sink.events()), 4u);
  EXPECT_EQ(summary.pending_keys(), 1u);
  EXPECT_EQ(summary.stats().bound_flushes, 1u);
  summary.flush();
  EXPECT_EQ(total_count(sink.events()), 5u);
  EXPECT_EQ(summary.stats().publishes, 5u);
  EXPECT_EQ(summary.stats().rows, 4u);
}

TEST_F(PublishSummaryTest, FlushWritesPendingCountsBeforeTheIntervalEnds) {
  PublishSummary summary(sink, options());
  for (int i = 0; i < 500; ++i) {
    summary.add(i % 2 == 0 ? alice() : bob(),
                PublishFacts{i % 4 < 2 ? "x" : "y", 1, false, bytes("abcd")});
  }
  summary.flush();  // shutdown: well within the second
  const auto rows = sink.events();
  EXPECT_EQ(rows.size(), 4u);
  EXPECT_EQ(total_count(rows), 500u);
  summary.flush();
  EXPECT_EQ(sink.events().size(), 4u) << "a second flush wrote again";
}

TEST_F(PublishSummaryTest, CountsFromSeveralThreadsAddUp) {
  PublishSummary summary(sink, options());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&summary, t, this] {
      const ClientIdentity who{t % 2 == 0 ? "c1" : "c2", "p", &connection};
      for (int i = 0; i < 1000; ++i) summary.add(who, PublishFacts{"a", 0, false, bytes("x")});
    });
  }
  for (auto& thread : threads) thread.join();
  summary.flush();
  EXPECT_EQ(sink.events().size(), 2u);
  EXPECT_EQ(total_count(sink.events()), 4000u);
}

// The bridge in summary mode: uncaptured publishes are summarized, captured ones keep a row
// (with the payload) per message.
TEST_F(PublishSummaryTest, BridgeSummarizesUncapturedPublishesAndKeepsCapturedRows) {
  AuditBridgeOptions bridge_options;
  bridge_options.summarize_publishes = true;
  bridge_options.summary = options();
  bridge_options.capture_payloads = {"cap/#"};
  AuditBridge bridge(sink, bridge_options);
  for (int i = 0; i < 3; ++i) bridge.published(alice(), PublishFacts{"plain", 0, false, bytes("p")});
  bridge.published(alice(), PublishFacts{"cap/1", 1, false, bytes("one")});
  bridge.published(alice(), PublishFacts{"cap/1", 1, false, bytes("two")});
  auto rows = sink.events();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(details(rows[0])["size"], 3);
  ASSERT_TRUE(rows[1].payload.has_value());
  EXPECT_EQ(rows[1].payload->size(), 3u);
  bridge.flush_publish_summary();
  rows = sink.events();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].topic, "plain");
  EXPECT_EQ(details(rows[2])["count"], 3);
}

TEST(PublishSummaryWiring, OnlyTheSummaryModeSummarizesAndNoneJournalsNoAcceptedPublish) {
  AuditConfig config;
  EXPECT_EQ(config.publishes, AuditPublishes::summary);  // the default
  EXPECT_TRUE(bridge_options(config).publishes);
  EXPECT_TRUE(bridge_options(config).summarize_publishes);
  config.publishes = AuditPublishes::all;
  EXPECT_TRUE(bridge_options(config).publishes);
  EXPECT_FALSE(bridge_options(config).summarize_publishes);
  config.publishes = AuditPublishes::none;
  EXPECT_FALSE(bridge_options(config).publishes);
  EXPECT_EQ(to_string(AuditPublishes::summary), "summary");
}

}  // namespace
}  // namespace arkmq::app
