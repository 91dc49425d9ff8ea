// The global memory budget at Broker::tick: the estimate, and shedding the largest clients
// (v5 DISCONNECT 0x97, v3.1.1 close) down to the low-water mark while others keep being served.
#include "broker/core/memory_budget.hpp"

#include <gtest/gtest.h>

#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

constexpr std::size_t kPayload = 1000;

class MemoryBudgetTest : public ::testing::Test {
 protected:
  BrokerFixture fx;

  // A subscriber that acknowledges nothing: with Receive Maximum 1 everything after the first
  // message waits in its session queue.
  std::unique_ptr<TestClient> stalled_subscriber(Broker& broker, const std::string& id,
                                                 const std::string& filter,
                                                 ProtocolVersion version = ProtocolVersion::v5) {
    auto client = std::make_unique<TestClient>(broker, version);
    if (version == ProtocolVersion::v5) {
      client->connect(id, true, receive_maximum(1));
    } else {
      client->connect(id);
    }
    client->subscribe(filter, QoS::at_least_once);
    return client;
  }

  void publish_many(TestClient& publisher, const std::string& topic, int count) {
    for (int i = 0; i < count; ++i) {
      publisher.publish(topic, std::string(kPayload, 'x'), QoS::at_least_once, false,
                        static_cast<std::uint16_t>(i % 60000 + 1));
    }
    publisher.received();  // PUBACKs
  }
};

TEST_F(MemoryBudgetTest, OffByDefaultNothingIsShed) {
  Broker& broker = fx.make();
  auto slow = stalled_subscriber(broker, "slow", "t");
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  publish_many(pub, "t", 200);
  broker.tick(pub.now());
  EXPECT_FALSE(slow->closed());
  EXPECT_EQ(broker.state().counters().memory.shed_clients.load(), 0U);
}

TEST_F(MemoryBudgetTest, EstimateCountsQueuedInFlightAndUnsentBytes) {
  Broker& broker = fx.make();
  auto slow = stalled_subscriber(broker, "slow", "t");
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  publish_many(pub, "t", 10);
  slow->link().set_queued_bytes(5000);
  auto data = broker.state().lock();
  Session* session = data->sessions.find("slow");
  ASSERT_NE(session, nullptr);
  const SessionMemory memory = session_memory(*session);
  EXPECT_EQ(memory.in_flight_bytes, kPayload + 1);  // topic "t" + payload
  EXPECT_EQ(memory.queued_bytes, 9 * (kPayload + 1));
  EXPECT_EQ(memory.link_bytes, 5000U);
  EXPECT_EQ(estimate_memory(*data).sessions_bytes, memory.total());
}

TEST_F(MemoryBudgetTest, AboveTheBudgetTheLargestClientGetsDisconnect0x97) {
  fx.config.memory_budget_bytes = 50 * 1000;
  Broker& broker = fx.make();
  auto big = stalled_subscriber(broker, "big", "big/#");
  auto small = stalled_subscriber(broker, "small", "small/#");
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  publish_many(pub, "big/t", 60);   // ~60 KB held for "big"
  publish_many(pub, "small/t", 5);  // ~5 KB for "small"
  broker.tick(pub.now());

  const auto disconnects = big->received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::quota_exceeded);
  EXPECT_TRUE(big->closed());
  EXPECT_FALSE(small->closed()) << "shedding the largest was enough";
  EXPECT_FALSE(pub.closed());
  const auto& counters = broker.state().counters();
  EXPECT_EQ(counters.memory.shed_clients.load(), 1U);
  EXPECT_EQ(counters.memory.shed_messages.load(), 59U) << "its queue was dropped";
  EXPECT_LE(counters.memory.held_bytes.load(), fx.config.memory_budget_bytes);

  // The broker still serves: the publisher's next message reaches the small subscriber.
  small->received();
  pub.publish("small/t", "after", QoS::at_most_once);
  const auto got = small->received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "after");
}

TEST_F(MemoryBudgetTest, SheddingContinuesUntilUnderTheLowWaterMark) {
  fx.config.memory_budget_bytes = 30 * 1000;
  Broker& broker = fx.make();
  auto a = stalled_subscriber(broker, "a", "a/#");
  auto b = stalled_subscriber(broker, "b", "b/#");
  auto c = stalled_subscriber(broker, "c", "c/#");
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  publish_many(pub, "a/t", 30);
  publish_many(pub, "b/t", 25);
  publish_many(pub, "c/t", 5);
  // ~60 KB held, low water 27 KB. Shedding a frees its queue (29 KB; its one in-flight message
  // stays counted): 31 KB is still above, so b goes too; then c stays.
  broker.tick(pub.now());
  EXPECT_TRUE(a->closed());
  EXPECT_TRUE(b->closed());
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(broker.state().counters().memory.shed_clients.load(), 2U);
}

TEST_F(MemoryBudgetTest, V311OffenderIsClosedWithoutADisconnectPacket) {
  fx.config.memory_budget_bytes = 20 * 1000;
  fx.config.v311_inflight_window = 1;
  Broker& broker = fx.make();
  auto old = stalled_subscriber(broker, "old", "t", ProtocolVersion::v311);
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  publish_many(pub, "t", 40);
  old->received();
  broker.tick(pub.now());
  EXPECT_TRUE(old->closed());
  EXPECT_TRUE(old->received_of<protocol::Disconnect>().empty());
}

TEST_F(MemoryBudgetTest, UnsentBytesOnTheConnectionCountAgainstTheBudget) {
  fx.config.memory_budget_bytes = 1000 * 1000;
  Broker& broker = fx.make();
  TestClient reader(broker, ProtocolVersion::v5);
  reader.connect("reader");
  reader.subscribe("t", QoS::at_most_once);
  TestClient other(broker, ProtocolVersion::v5);
  other.connect("other");
  broker.tick(reader.now());
  EXPECT_FALSE(reader.closed());
  reader.link().set_queued_bytes(2 * 1000 * 1000);  // the socket is not being read
  broker.tick(reader.now() + std::chrono::seconds(1));
  EXPECT_TRUE(reader.closed());
  EXPECT_FALSE(other.closed());
}

TEST_F(MemoryBudgetTest, WithinTheBudgetNothingIsShedAndTheEstimateIsPublished) {
  fx.config.memory_budget_bytes = 1000 * 1000;
  Broker& broker = fx.make();
  auto slow = stalled_subscriber(broker, "slow", "t");
  TestClient pub(broker, ProtocolVersion::v5);
  pub.connect("pub");
  publish_many(pub, "t", 10);
  broker.tick(pub.now());
  EXPECT_FALSE(slow->closed());
  EXPECT_EQ(broker.state().counters().memory.held_bytes.load(), 10 * (kPayload + 1));
}

}  // namespace
}  // namespace arkmq::core::test
