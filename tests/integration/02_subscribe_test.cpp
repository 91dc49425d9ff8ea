// 02 subscribe: wildcard matching, $-topics, overlapping subscriptions, UNSUBSCRIBE reason codes,
// shared subscriptions, subscription identifiers and the v5 subscription options.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/support/broker_test.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Subscribe : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    start_broker();
  }
};

std::vector<std::string> topics_of(const MessageCollector& collector) {
  std::vector<std::string> out;
  for (const auto& message : collector.messages()) out.push_back(message->get_topic());
  return out;
}

std::set<int> subscription_ids(const mqtt::const_message_ptr& message) {
  std::set<int> ids;
  const auto& props = message->get_properties();
  const auto count = props.count(mqtt::property::SUBSCRIPTION_IDENTIFIER);
  for (std::size_t i = 0; i < count; ++i) {
    ids.insert(mqtt::get<int>(props, mqtt::property::SUBSCRIPTION_IDENTIFIER, i));
  }
  return ids;
}

TEST_F(Subscribe, PlusMatchesExactlyOneLevel) {
  auto sub = connected(5, "plus");
  sub->subscribe("a/+/c", 1);
  sub->subscribe("marker", 1);
  auto pub = raw_session(5, "pub");
  pub->publish("a/b/c", "hit", 1);
  pub->publish("a/b/d", "miss-last", 1);
  pub->publish("a/b/c/d", "miss-deeper", 1);
  pub->publish("a/c", "miss-shorter", 1);
  pub->publish("a//c", "hit-empty-level", 1);
  pub->publish("marker", "end", 1);
  ASSERT_TRUE(sub->messages().wait_for_payload("end", 5s));
  EXPECT_EQ(sub->messages().payloads(),
            (std::vector<std::string>{"hit", "hit-empty-level", "end"}));
}

TEST_F(Subscribe, WildcardsMatchEmptyLevels) {
  auto sub = raw_session(5, "empty-levels");
  sub->subscribe("+/+", 1);   // matches "/finance" [MQTT-4.7.1-2] example
  sub->subscribe("/+", 1);    // matches "/finance"
  sub->subscribe("+", 1);     // does not: "/finance" has two levels
  auto pub = raw_session(5, "pub");
  ASSERT_TRUE(pub->publish("/finance", "x", 1));
  std::size_t copies = 0;
  while (sub->next_publish(Deadline(500ms))) ++copies;
  // One copy per matching subscription, or one copy in all: never zero [MQTT-3.3.4-2].
  EXPECT_GE(copies, 1u);
  EXPECT_LE(copies, 2u) << "\"+\" matched a two-level topic";
}

TEST_F(Subscribe, ResubscribingReplacesTheSubscription) {
  auto sub = connected(5, "resub");
  sub->subscribe("re/t", 0);
  sub->subscribe("re/t", 1);  // same filter: replaces, not adds [MQTT-3.8.4-3]
  auto pub = raw_session(5, "pub");
  pub->publish("re/t", "once", 1);
  pub->publish("re/t", "", 0);
  ASSERT_TRUE(sub->messages().wait_for(2, 5s));
  const auto messages = sub->messages().messages();
  EXPECT_EQ(messages[0]->get_payload_str(), "once");
  EXPECT_EQ(messages[0]->get_qos(), 1);
  EXPECT_EQ(messages[1]->get_payload_str(), "") << "the first message was delivered twice";
}

TEST_F(Subscribe, HashMatchesTheParentAndEveryLevelBelow) {
  auto sub = connected(5, "hash");
  sub->subscribe("a/#", 1);
  sub->subscribe("marker", 1);
  auto pub = raw_session(5, "pub");
  pub->publish("a", "parent", 1);  // [MQTT-4.7.1-2]: "a/#" matches "a"
  pub->publish("a/b", "one", 1);
  pub->publish("a/b/c", "two", 1);
  pub->publish("b/a", "miss", 1);
  pub->publish("marker", "end", 1);
  ASSERT_TRUE(sub->messages().wait_for_payload("end", 5s));
  EXPECT_EQ(sub->messages().payloads(), (std::vector<std::string>{"parent", "one", "two", "end"}));
}

TEST_F(Subscribe, DollarTopicsAreNotMatchedByLeadingWildcards) {
  auto sub = connected(5, "dollar");
  sub->subscribe("#", 0);
  sub->subscribe("+/broker/#", 0);
  auto pub = raw_session(5, "pub");
  pub->publish("plain/topic", "end", 0);
  ASSERT_TRUE(sub->messages().wait_for_payload("end", 5s));
  for (const auto& topic : topics_of(sub->messages())) {
    EXPECT_NE(topic.front(), '$') << topic << " matched a leading wildcard [MQTT-4.7.2-1]";
  }
  // Positive control: the broker does publish $SYS, and an explicit filter sees it.
  auto sys = connected(5, "sys");
  sys->subscribe("$SYS/#", 0);
  EXPECT_TRUE(sys->messages().wait_for(1, 12s)) << "no $SYS traffic at all";
}

TEST_F(Subscribe, OverlappingSubscriptionsDeliverWithTheHighestQoS) {
  auto sub = connected(5, "overlap");
  sub->subscribe("o/#", 1);
  sub->subscribe("o/+", 0);
  auto pub = raw_session(5, "pub");
  pub->publish("o/x", "payload", 1);
  ASSERT_TRUE(sub->messages().wait_for(1, 5s));
  sub->messages().wait_for(2, 500ms);  // a second copy is allowed [MQTT-3.3.4-2]
  const auto messages = sub->messages().messages();
  EXPECT_LE(messages.size(), 2u);
  int max_qos = 0;
  for (const auto& message : messages) max_qos = std::max(max_qos, message->get_qos());
  EXPECT_EQ(max_qos, 1);
}

TEST_F(Subscribe, UnsubscribeReportsSuccessOrNoSubscriptionExisted) {
  auto sub = connected(5, "unsub");
  sub->subscribe("u/t", 1);
  EXPECT_EQ(sub->unsubscribe("u/t"), (std::vector<mqtt::ReasonCode>{mqtt::ReasonCode::SUCCESS}));
  EXPECT_EQ(sub->unsubscribe("u/never"),
            (std::vector<mqtt::ReasonCode>{mqtt::ReasonCode::NO_SUBSCRIPTION_FOUND}));
}

TEST_F(Subscribe, UnsubscribedFilterNoLongerReceives) {
  auto sub = connected(4, "unsub311");
  sub->subscribe("u/t", 1);
  sub->subscribe("marker", 1);
  sub->unsubscribe("u/t");
  auto pub = raw_session(4, "pub");
  pub->publish("u/t", "after", 1);
  pub->publish("marker", "end", 1);
  ASSERT_TRUE(sub->messages().wait_for_payload("end", 5s));
  EXPECT_EQ(sub->messages().payloads(), (std::vector<std::string>{"end"}));
}

TEST_F(Subscribe, SharedSubscriptionSpreadsMessagesAcrossTheGroup) {
  auto first = connected(5, "share1");
  auto second = connected(5, "share2");
  auto plain = connected(5, "plain");
  first->subscribe("$share/g1/s/#", 1);
  second->subscribe("$share/g1/s/#", 1);
  plain->subscribe("s/#", 1);
  auto pub = raw_session(5, "pub");
  constexpr int kMessages = 20;
  for (int i = 0; i < kMessages; ++i) pub->publish("s/" + std::to_string(i % 3), std::to_string(i), 1);
  ASSERT_TRUE(plain->messages().wait_for(kMessages, 5s));
  const Deadline deadline(5s);
  while (first->messages().size() + second->messages().size() < kMessages && !deadline.expired()) {
    first->messages().wait_for(first->messages().size() + 1, 100ms);
  }
  // Each message goes to exactly one member [MQTT-4.8.2-4]; both members get a fair share.
  std::vector<std::string> all = first->messages().payloads();
  const auto more = second->messages().payloads();
  all.insert(all.end(), more.begin(), more.end());
  std::sort(all.begin(), all.end());
  std::vector<std::string> expected;
  for (int i = 0; i < kMessages; ++i) expected.push_back(std::to_string(i));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);
  EXPECT_GE(first->messages().size(), 5u);
  EXPECT_GE(second->messages().size(), 5u);
  EXPECT_EQ(plain->messages().size(), static_cast<std::size_t>(kMessages));
}

TEST_F(Subscribe, NewSharedSubscriptionGetsNoRetainedMessages) {
  auto pub = raw_session(5, "pub");
  ASSERT_TRUE(pub->publish("shret/t", "stored", 1, true));
  auto sub = raw_session(5, "shared");
  sub->subscribe("$share/g2/shret/t", 1);  // spec 4.8.2: retained messages are not sent
  sub->subscribe("shret/marker", 1);
  ASSERT_TRUE(pub->publish("shret/marker", "end", 1));
  auto first = sub->next_publish(Deadline(5s));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->payload, "end");
  ASSERT_TRUE(pub->publish("shret/t", "", 1, true));
}

TEST_F(Subscribe, SubscriptionIdentifiersComeBackWithMatchingMessages) {
  auto sub = connected(5, "subid");
  sub->subscribe("si/#", 1, {}, {{mqtt::property::SUBSCRIPTION_IDENTIFIER, 7}});
  sub->subscribe("si/+", 1, {}, {{mqtt::property::SUBSCRIPTION_IDENTIFIER, 9}});
  sub->subscribe("si/x/y", 1);  // no identifier
  sub->subscribe("marker", 1);
  auto pub = raw_session(5, "pub");
  pub->publish("si/x", "two-filters", 1);
  pub->publish("si/x/y", "one-with-id", 1);
  pub->publish("marker", "end", 1);  // every copy of the two above is queued before it
  ASSERT_TRUE(sub->messages().wait_for_payload("end", 5s));
  std::set<int> ids_two;
  std::set<int> ids_one;
  for (const auto& message : sub->messages().messages()) {
    if (message->get_topic() == "marker") continue;
    const auto ids = subscription_ids(message);
    (message->get_topic() == "si/x" ? ids_two : ids_one).insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(ids_two, (std::set<int>{7, 9}));  // [MQTT-3.3.4-3], [MQTT-3.3.4-4]
  EXPECT_EQ(ids_one, (std::set<int>{7}));
}

TEST_F(Subscribe, NoLocalSuppressesTheClientsOwnMessages) {
  auto self = connected(5, "nolocal");
  self->subscribe("nl/t", 1, mqtt::subscribe_options(true));
  self->subscribe("nl/marker", 1);
  auto other = connected(5, "other");
  other->subscribe("nl/t", 1);
  self->publish("nl/t", "own", 1);
  self->publish("nl/marker", "end", 1);
  ASSERT_TRUE(other->messages().wait_for_payload("own", 5s));
  ASSERT_TRUE(self->messages().wait_for_payload("end", 5s));
  EXPECT_EQ(self->messages().payloads(), (std::vector<std::string>{"end"}));  // [MQTT-3.8.3-3]
}

TEST_F(Subscribe, RetainAsPublishedKeepsTheRetainFlagOnLiveMessages) {
  auto keep = connected(5, "rap");
  keep->subscribe("rap/t", 1, mqtt::subscribe_options(false, true));
  auto clear = connected(5, "norap");
  clear->subscribe("rap/t", 1, mqtt::subscribe_options(false, false));
  auto pub = raw_session(5, "pub");
  pub->publish("rap/t", "live", 1, true);
  ASSERT_TRUE(keep->messages().wait_for(1, 5s));
  ASSERT_TRUE(clear->messages().wait_for(1, 5s));
  EXPECT_TRUE(keep->messages().messages()[0]->is_retained());    // [MQTT-3.3.1-13]
  EXPECT_FALSE(clear->messages().messages()[0]->is_retained());  // [MQTT-3.3.1-12]
  pub->publish("rap/t", "", 1, true);  // leave no retained message behind
}

TEST_F(Subscribe, RetainHandlingControlsRetainedDeliveryOnSubscribe) {
  auto pub = raw_session(5, "pub");
  pub->publish("rh/t", "stored", 1, true);
  using Options = mqtt::subscribe_options;

  auto always = connected(5, "rh0");
  always->subscribe("rh/t", 1, Options(false, false, Options::SEND_RETAINED_ON_SUBSCRIBE));
  ASSERT_TRUE(always->messages().wait_for(1, 5s));
  always->subscribe("rh/t", 1, Options(false, false, Options::SEND_RETAINED_ON_SUBSCRIBE));
  EXPECT_TRUE(always->messages().wait_for(2, 5s)) << "retain handling 0 resends on re-subscribe";

  auto if_new = connected(5, "rh1");
  if_new->subscribe("rh/t", 1, Options(false, false, Options::SEND_RETAINED_ON_NEW));
  ASSERT_TRUE(if_new->messages().wait_for(1, 5s));
  if_new->subscribe("rh/t", 1, Options(false, false, Options::SEND_RETAINED_ON_NEW));
  if_new->subscribe("rh/marker", 1);
  pub->publish("rh/marker", "end", 1);
  ASSERT_TRUE(if_new->messages().wait_for_payload("end", 5s));
  EXPECT_EQ(if_new->messages().payloads(), (std::vector<std::string>{"stored", "end"}));

  auto never = connected(5, "rh2");
  never->subscribe("rh/t", 1, Options(false, false, Options::DONT_SEND_RETAINED));
  never->subscribe("rh/marker", 1);
  pub->publish("rh/marker", "end", 1);
  ASSERT_TRUE(never->messages().wait_for_payload("end", 5s));
  EXPECT_EQ(never->messages().payloads(), (std::vector<std::string>{"end"}));
  pub->publish("rh/t", "", 1, true);
}

}  // namespace
}  // namespace arkmq::test
