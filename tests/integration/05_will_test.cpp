// 05 will: published on an abrupt loss, not on a normal DISCONNECT, after the v5 Will Delay,
// and on DISCONNECT with reason 0x04.
#include <gtest/gtest.h>

#include "tests/support/broker_test.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Will : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    start_broker();
    watcher_ = connected(5, "watcher");
    watcher_->subscribe("will/#", 1);
  }

  wire::ConnectSpec with_will(int version, const std::string& topic, wire::Bytes will_properties = {},
                              wire::Bytes properties = {}) {
    auto spec = wire::connect_spec(version, unique_client_id("dying"), true, 60,
                                   std::move(properties));
    spec.will_topic = topic;
    spec.will_payload = "gone";
    spec.will_qos = 1;
    spec.will_properties = std::move(will_properties);
    return spec;
  }

  // Publishes a marker after the connection of `client` is gone on the broker's side, so a will
  // that should not exist would already have been routed before it.
  void expect_only_marker() {
    auto pub = raw_session(5, "marker");
    ASSERT_TRUE(pub->publish("will/marker", "end", 1));
    ASSERT_TRUE(watcher_->messages().wait_for_payload("end", 5s));
    EXPECT_EQ(watcher_->messages().payloads(), (std::vector<std::string>{"end"}));
  }

  std::unique_ptr<PahoClient> watcher_;
};

TEST_F(Will, AbruptCloseOfAV311ClientPublishesItsWill) {
  RawClient client(broker().port());
  ASSERT_TRUE(client.connect(with_will(4, "will/v311"), Deadline(5s)));
  client.abort();
  ASSERT_TRUE(watcher_->messages().wait_for(1, 5s));  // [MQTT-3.1.2-8]
  EXPECT_EQ(watcher_->messages().messages()[0]->get_topic(), "will/v311");
  EXPECT_EQ(watcher_->messages().messages()[0]->get_payload_str(), "gone");
}

TEST_F(Will, AbruptCloseOfAV5ClientPublishesItsWill) {
  RawClient client(broker().port());
  ASSERT_TRUE(client.connect(with_will(5, "will/v5"), Deadline(5s)));
  client.abort();
  ASSERT_TRUE(watcher_->messages().wait_for(1, 5s));
  EXPECT_EQ(watcher_->messages().messages()[0]->get_topic(), "will/v5");
}

TEST_F(Will, NormalDisconnectDiscardsTheWill) {
  RawClient client(broker().port());
  ASSERT_TRUE(client.connect(with_will(4, "will/normal"), Deadline(5s)));
  client.send(wire::disconnect(4));
  ASSERT_TRUE(client.expect_closed(Deadline(5s)));  // [MQTT-3.14.4-3]
  expect_only_marker();
}

TEST_F(Will, KeepAliveTimeoutPublishesTheWill) {
  RawClient client(broker().port());
  auto spec = with_will(4, "will/keepalive");
  spec.keep_alive = 1;
  ASSERT_TRUE(client.connect(spec, Deadline(5s)));
  EXPECT_TRUE(watcher_->messages().wait_for(1, 8s));
}

TEST_F(Will, DisconnectWithReason0x04PublishesTheWill) {
  RawClient client(broker().port());
  ASSERT_TRUE(client.connect(with_will(5, "will/0x04"), Deadline(5s)));
  client.send(wire::disconnect(5, 0x04));
  ASSERT_TRUE(watcher_->messages().wait_for(1, 5s));  // spec 3.14.2.1
  EXPECT_EQ(watcher_->messages().messages()[0]->get_topic(), "will/0x04");
}

TEST_F(Will, WillWithRetainIsStoredForLaterSubscribers) {
  RawClient client(broker().port());
  auto spec = with_will(4, "will/retained");
  spec.will_retain = true;  // [MQTT-3.1.2-17]
  ASSERT_TRUE(client.connect(spec, Deadline(5s)));
  client.abort();
  ASSERT_TRUE(watcher_->messages().wait_for(1, 5s));
  auto late = raw_session(4, "late");
  late->subscribe("will/retained", 1);
  auto message = late->next_publish(Deadline(5s));
  ASSERT_TRUE(message) << "retained will not stored";
  EXPECT_TRUE(message->retain);
  EXPECT_EQ(message->payload, "gone");
}

TEST_F(Will, WillWithoutRetainIsNotStored) {
  RawClient client(broker().port());
  ASSERT_TRUE(client.connect(with_will(4, "will/unretained"), Deadline(5s)));
  client.abort();
  ASSERT_TRUE(watcher_->messages().wait_for(1, 5s));
  auto late = raw_session(4, "late");
  late->subscribe("will/unretained", 1);
  EXPECT_FALSE(late->next_publish(Deadline(500ms))) << "will without Will Retain was retained";
}

TEST_F(Will, WillDelayHoldsTheWillBack) {
  wire::PropertyWriter delay;
  delay.u32(0x18, 2);
  wire::PropertyWriter expiry;
  expiry.u32(0x11, 30);
  RawClient client(broker().port());
  ASSERT_TRUE(client.connect(with_will(5, "will/delayed", delay.bytes(), expiry.bytes()), Deadline(5s)));
  const auto lost = Clock::now();
  client.abort();
  ASSERT_TRUE(watcher_->messages().wait_for(1, 6s));
  const auto waited = Clock::now() - lost;
  EXPECT_GE(waited, 1500ms) << "will sent before its 2 s delay [MQTT-3.1.3-9]";
  EXPECT_LE(waited, 4000ms);
}

TEST_F(Will, ReconnectWithinTheWillDelayCancelsTheWill) {
  wire::PropertyWriter delay;
  delay.u32(0x18, 2);
  wire::PropertyWriter expiry;
  expiry.u32(0x11, 30);
  auto spec = with_will(5, "will/cancelled", delay.bytes(), expiry.bytes());
  {
    RawClient client(broker().port());
    ASSERT_TRUE(client.connect(spec, Deadline(5s)));
    client.abort();
  }
  RawClient again(broker().port());
  auto resumed = wire::connect_spec(5, spec.client_id, false, 60, expiry.bytes());
  ASSERT_TRUE(again.connect(resumed, Deadline(5s)));
  // Beyond the delay: the will must not come (spec 3.1.3.2.2, the session was resumed).
  EXPECT_FALSE(watcher_->messages().wait_for(1, 3500ms));
}

}  // namespace
}  // namespace arkmq::test
