// 10 $SYS: the broker publishes its version and statistics under $SYS/broker/, and clients
// cannot publish into $SYS themselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "tests/support/broker_test.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Sys : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    BrokerOptions options;
    options.arkmq_config = "sys_interval = 1\n";
    options.mosquitto_config = "sys_interval 1\n";
    start_broker(options);
  }
};

bool is_decimal(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

TEST_F(Sys, VersionIsPublished) {
  auto sub = connected(5, "sys");
  sub->subscribe("$SYS/broker/version", 0);
  ASSERT_TRUE(sub->messages().wait_for(1, 5s));
  const std::string version = sub->messages().messages()[0]->get_payload_str();
  EXPECT_FALSE(version.empty());
  if (!is_reference()) {
    EXPECT_NE(version.find("arkmq"), std::string::npos) << version;
  }
}

TEST_F(Sys, StatisticsAreDecimalTextUnderTheDocumentedTopics) {
  ARKMQ_ONLY("topic names and payload format are arkmq's (docs/protocol.md)");
  auto sub = connected(5, "stats");
  sub->subscribe("$SYS/broker/#", 0);
  const std::vector<std::string> wanted = {
      "$SYS/broker/uptime",           "$SYS/broker/clients/connected",
      "$SYS/broker/messages/received", "$SYS/broker/messages/sent",
      "$SYS/broker/bytes/received",   "$SYS/broker/bytes/sent",
      "$SYS/broker/subscriptions/count", "$SYS/broker/retained messages/count"};
  const Deadline deadline(5s);
  std::map<std::string, std::string> latest;
  while (!deadline.expired()) {
    for (const auto& message : sub->messages().messages()) {
      latest[message->get_topic()] = message->get_payload_str();
    }
    if (std::all_of(wanted.begin(), wanted.end(), [&](const auto& t) { return latest.count(t); })) break;
    sub->messages().wait_for(sub->messages().size() + 1, 200ms);
  }
  for (const auto& topic : wanted) {
    ASSERT_TRUE(latest.count(topic)) << topic << " never published";
    EXPECT_TRUE(is_decimal(latest[topic])) << topic << " = '" << latest[topic] << "'";
  }
  EXPECT_GE(std::stoul(latest["$SYS/broker/clients/connected"]), 1u);
}

TEST_F(Sys, UptimeAdvances) {
  ARKMQ_ONLY("mosquitto's uptime payload is 'N seconds', not decimal text");
  auto sub = connected(5, "uptime");
  sub->subscribe("$SYS/broker/uptime", 0);
  ASSERT_TRUE(sub->messages().wait_for(1, 5s));
  ASSERT_TRUE(sub->messages().wait_for(2, 5s)) << "uptime not refreshed at sys_interval = 1";
  const auto messages = sub->messages().messages();
  const auto first = std::stoul(messages.front()->get_payload_str());
  const auto last = std::stoul(messages.back()->get_payload_str());
  EXPECT_GE(last, first);
}

TEST_F(Sys, V5ClientPublishToSysIsRefusedWithNotAuthorized) {
  ARKMQ_ONLY("the 0x87 answer is arkmq's documented behaviour (docs/protocol.md)");
  auto watcher = connected(5, "watch");
  watcher->subscribe("$SYS/broker/version", 0);
  ASSERT_TRUE(watcher->messages().wait_for(1, 5s));
  const std::string real = watcher->messages().messages()[0]->get_payload_str();
  auto pub = raw_session(5, "forger");
  EXPECT_EQ(pub->publish("$SYS/broker/version", "forged", 1, true), 0x87);
  auto fresh = connected(5, "fresh");
  fresh->subscribe("$SYS/broker/version", 0);
  ASSERT_TRUE(fresh->messages().wait_for(1, 5s));
  EXPECT_EQ(fresh->messages().messages()[0]->get_payload_str(), real);
}

TEST_F(Sys, V311ClientPublishToSysIsAcknowledgedButNotRouted) {
  auto sub = raw_session(4, "sysfake");
  sub->subscribe("$SYS/fake/#", 1);
  sub->subscribe("marker", 1);
  auto pub = raw_session(4, "forger");
  EXPECT_TRUE(pub->publish("$SYS/fake/x", "forged", 1));
  EXPECT_TRUE(pub->publish("marker", "end", 1));
  auto message = sub->next_publish(Deadline(5s));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->payload, "end") << "a client's $SYS publish was routed";
}

}  // namespace
}  // namespace arkmq::test
