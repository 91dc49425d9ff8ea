// 04 retained: a retained message is stored, replaced by the next one, cleared by an empty
// payload, and delivered to new subscribers with the retain flag and the right QoS.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/broker_test.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Retained : public BrokerTest, public ::testing::WithParamInterface<int> {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    start_broker();
  }
  int version() const { return GetParam(); }
};

TEST_P(Retained, NewSubscriberReceivesTheStoredMessageWithRetainSet) {
  auto pub = raw_session(version(), "pub");
  ASSERT_TRUE(pub->publish("ret/set", "stored", 1, true));
  auto sub = connected(version(), "sub");
  sub->subscribe("ret/set", 1);
  ASSERT_TRUE(sub->messages().wait_for(1, 5s));
  const auto message = sub->messages().messages()[0];
  EXPECT_EQ(message->get_payload_str(), "stored");
  EXPECT_TRUE(message->is_retained());  // [MQTT-3.3.1-8]
  EXPECT_EQ(message->get_qos(), 1);
}

TEST_P(Retained, LaterRetainedMessageReplacesTheEarlierOne) {
  auto pub = raw_session(version(), "pub");
  ASSERT_TRUE(pub->publish("ret/replace", "first", 1, true));
  ASSERT_TRUE(pub->publish("ret/replace", "second", 1, true));
  ASSERT_TRUE(pub->publish("ret/marker", "end", 1, true));
  auto sub = connected(version(), "sub");
  sub->subscribe("ret/replace", 1);
  sub->subscribe("ret/marker", 1);
  ASSERT_TRUE(sub->messages().wait_for_payload("end", 5s));
  EXPECT_EQ(sub->messages().payloads(), (std::vector<std::string>{"second", "end"}));  // [MQTT-3.3.1-5]
}

TEST_P(Retained, EmptyRetainedPayloadClearsTheTopic) {
  auto pub = raw_session(version(), "pub");
  ASSERT_TRUE(pub->publish("ret/clear", "stored", 1, true));
  ASSERT_TRUE(pub->publish("ret/clear", "", 1, true));  // [MQTT-3.3.1-6]
  ASSERT_TRUE(pub->publish("ret/marker", "end", 1, true));
  auto sub = connected(version(), "sub");
  sub->subscribe("ret/clear", 1);
  sub->subscribe("ret/marker", 1);
  ASSERT_TRUE(sub->messages().wait_for_payload("end", 5s));
  EXPECT_EQ(sub->messages().payloads(), (std::vector<std::string>{"end"}));
}

TEST_P(Retained, RetainedDeliveryIsDowngradedToTheSubscriptionQoS) {
  auto pub = raw_session(version(), "pub");
  ASSERT_TRUE(pub->publish("ret/qos", "q2", 2, true));
  auto sub = connected(version(), "sub");
  sub->subscribe("ret/qos", 0);
  ASSERT_TRUE(sub->messages().wait_for(1, 5s));
  EXPECT_EQ(sub->messages().messages()[0]->get_qos(), 0);
}

TEST_P(Retained, WildcardSubscriptionReceivesEveryMatchingRetainedMessage) {
  auto pub = raw_session(version(), "pub");
  ASSERT_TRUE(pub->publish("ret/w/a", "a", 1, true));
  ASSERT_TRUE(pub->publish("ret/w/b", "b", 1, true));
  ASSERT_TRUE(pub->publish("ret/other", "other", 1, true));
  auto sub = connected(version(), "sub");
  sub->subscribe("ret/w/+", 1);
  ASSERT_TRUE(sub->messages().wait_for(2, 5s));
  auto payloads = sub->messages().payloads();
  std::sort(payloads.begin(), payloads.end());
  EXPECT_EQ(payloads, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(sub->messages().wait_for(3, 300ms));
}

TEST_P(Retained, LiveSubscriberGetsRetainedPublishWithoutTheRetainFlag) {
  auto sub = connected(version(), "sub");
  sub->subscribe("ret/live", 1);
  auto pub = raw_session(version(), "pub");
  ASSERT_TRUE(pub->publish("ret/live", "now", 1, true));
  ASSERT_TRUE(sub->messages().wait_for(1, 5s));
  // An established subscription gets retain = 0 (v3.1.1 [MQTT-3.3.1-9]; v5 without
  // Retain As Published [MQTT-3.3.1-12]).
  EXPECT_FALSE(sub->messages().messages()[0]->is_retained());
}

TEST_P(Retained, RetainedMessageKeepsItsV5Properties) {
  if (version() != 5) GTEST_SKIP() << "properties are MQTT 5";
  auto pub = raw_session(5, "pub");
  wire::PropertyWriter props;
  props.string(0x03, "text/plain").pair(0x26, "source", "sensor-7");
  ASSERT_TRUE(pub->publish("ret/props", "stored", 1, true, props.bytes()));
  auto sub = raw_session(5, "sub");
  sub->subscribe("ret/props", 1);
  auto message = sub->next_publish(Deadline(5s));
  ASSERT_TRUE(message);
  EXPECT_TRUE(message->retain);
  EXPECT_EQ(wire::find_property(message->properties, 0x03)->text, "text/plain");
  const auto user = wire::find_property(message->properties, 0x26);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->text + "=" + user->text2, "source=sensor-7");
}

INSTANTIATE_TEST_SUITE_P(BothVersions, Retained, ::testing::Values(4, 5),
                         [](const auto& param_info) { return "v" + std::to_string(param_info.param); });

}  // namespace
}  // namespace arkmq::test
