// Publisher back-pressure for QoS 0 (delivery.cpp): a subscriber whose link holds more than
// link_congestion_bytes while it still drains pauses the publisher; a stalled link (not
// draining) pauses nobody, and past max_link_buffer_bytes QoS 0 is dropped as before.
#include <gtest/gtest.h>

#include "broker/core/broker_state.hpp"
#include "broker/core/delivery.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class Qos0BackpressureTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
  Broker* broker = nullptr;
  std::unique_ptr<TestClient> sub;
  std::unique_ptr<TestClient> pub;

  void SetUp() override {
    fx.config.max_link_buffer_bytes = 8000;  // congested from 1000 bytes
    broker = &fx.make();
    sub = std::make_unique<TestClient>(*broker, ProtocolVersion::v311);
    sub->connect("sub");
    sub->subscribe("t/#", QoS::at_most_once);
    pub = std::make_unique<TestClient>(*broker, ProtocolVersion::v311);
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

TEST_F(Qos0BackpressureTest, ALinkBelowTheThresholdPausesNobody) {
  sub->link().set_draining(true);
  sub->link().set_queued_bytes(link_congestion_bytes(broker->state().config()) - 1);
  pub->publish("t/1", "x", QoS::at_most_once);
  EXPECT_FALSE(publisher_paused());
  EXPECT_EQ(pauses(), 0U);
}

TEST_F(Qos0BackpressureTest, ADrainingLinkPastTheThresholdPausesThePublisherAndLosesNothing) {
  sub->link().set_draining(true);
  sub->link().set_queued_bytes(link_congestion_bytes(broker->state().config()));
  pub->publish("t/1", "x", QoS::at_most_once);
  EXPECT_TRUE(publisher_paused());
  EXPECT_EQ(pauses(), 1U);
  EXPECT_EQ(broker->stats().messages_dropped, 0U);
  EXPECT_EQ(sub->received_of<protocol::Publish>().size(), 1U);  // still delivered
}

TEST_F(Qos0BackpressureTest, AStalledLinkNeverPausesThePublisher) {
  sub->link().set_draining(false);
  sub->link().set_queued_bytes(link_congestion_bytes(broker->state().config()) * 4);
  pub->publish("t/1", "x", QoS::at_most_once);
  EXPECT_FALSE(publisher_paused());
  EXPECT_EQ(pauses(), 0U);
}

TEST_F(Qos0BackpressureTest, PastTheLinkBoundQoS0IsStillDropped) {
  sub->link().set_draining(true);
  sub->link().set_queued_bytes(broker->state().config().max_link_buffer_bytes + 1);
  pub->publish("t/1", "x", QoS::at_most_once);
  EXPECT_EQ(broker->stats().messages_dropped, 1U);
  EXPECT_TRUE(sub->received_of<protocol::Publish>().empty());
}

}  // namespace
}  // namespace arkmq::core::test
