// Publisher back-pressure: a PUBLISH that fills a slow subscriber's queue pauses reading from
// its publisher; a stalled subscriber (no acknowledgement for kStalledAfter) pauses nobody.
#include <gtest/gtest.h>

#include "broker/core/broker_state.hpp"
#include "broker/core/delivery.hpp"
#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class BackpressureTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
  Broker* broker = nullptr;
  std::unique_ptr<TestClient> sub;
  std::unique_ptr<TestClient> pub;

  void SetUp() override {
    fx.config.max_queued_messages = 4;
    broker = &fx.make();
    sub = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
    sub->connect("sub", true, receive_maximum(1));  // one in flight: the rest is queued
    sub->subscribe("t", QoS::at_least_once);
    pub = std::make_unique<TestClient>(*broker, ProtocolVersion::v5);
    pub->connect("pub");
  }

  std::uint64_t pauses() const {
    return broker->state().counters().quota.backpressure.load(std::memory_order_relaxed);
  }
  bool publisher_paused() {
    const auto until = pub->connection().read_paused_until();
    return until && *until > pub->now();
  }
};

TEST_F(BackpressureTest, FillingASlowSubscribersQueuePausesThePublisher) {
  pub->publish("t", "1", QoS::at_least_once, false, 1);  // in flight
  pub->publish("t", "2", QoS::at_least_once, false, 2);  // queued: 1 of 4
  EXPECT_FALSE(publisher_paused());
  EXPECT_EQ(pauses(), 0U);
  pub->publish("t", "3", QoS::at_least_once, false, 3);  // queued: 2 of 4, half full
  EXPECT_TRUE(publisher_paused());
  EXPECT_EQ(pauses(), 1U);
  EXPECT_EQ(broker->stats().messages_dropped, 0U);
}

TEST_F(BackpressureTest, PacketsReadDuringThePauseWaitAndAreHandledAfterIt) {
  pub->publish("t", "1", QoS::at_least_once, false, 1);
  pub->publish("t", "2", QoS::at_least_once, false, 2);
  pub->publish("t", "3", QoS::at_least_once, false, 3);  // pauses
  pub->received_of<protocol::Puback>();
  pub->publish("t", "4", QoS::at_least_once, false, 4);  // read, but held while paused
  EXPECT_TRUE(pub->received_of<protocol::Puback>().empty());
  pub->advance(std::chrono::milliseconds(10));
  pub->connection().on_bytes({}, pub->now());  // what the net layer does when the pause ends
  EXPECT_EQ(pub->received_of<protocol::Puback>().size(), 1U);
}

TEST_F(BackpressureTest, AStalledSubscriberNeverPausesThePublisherAndItsExcessIsDropped) {
  pub->advance(kStalledAfter + std::chrono::seconds(1));  // the subscriber acknowledged nothing
  for (std::uint16_t id = 1; id <= 8; ++id) {
    pub->publish("t", std::to_string(id), QoS::at_least_once, false, id);
    EXPECT_FALSE(publisher_paused()) << "message " << id;
  }
  EXPECT_EQ(pauses(), 0U);
  EXPECT_EQ(broker->stats().messages_dropped, 3U);  // 1 in flight + 4 queued kept of 8
}

TEST_F(BackpressureTest, AnAcknowledgementMakesAStalledSubscriberSlowAgain) {
  pub->advance(kStalledAfter + std::chrono::seconds(1));
  pub->publish("t", "1", QoS::at_least_once, false, 1);
  pub->publish("t", "2", QoS::at_least_once, false, 2);
  sub->set_now(pub->now());
  const auto publishes = sub->received_of<protocol::Publish>();
  ASSERT_EQ(publishes.size(), 1U);
  sub->send(protocol::Puback{publishes[0].packet_id, protocol::ReasonCode::success, {}});
  pub->publish("t", "3", QoS::at_least_once, false, 3);
  pub->publish("t", "4", QoS::at_least_once, false, 4);  // queued: 2 of 4 again
  EXPECT_TRUE(publisher_paused());
}

}  // namespace
}  // namespace arkmq::core::test
