// Tests for call request validation: MQTT 5, the inbox rule, correlation, svc- properties.
#include "broker/services/call_request.hpp"

#include <gtest/gtest.h>

namespace arkmq::services {
namespace {

using protocol::ProtocolVersion;
using std::chrono::milliseconds;

protocol::Publish good_call() {
  protocol::Publish p;
  p.topic = "$svc/call/plc/read";
  p.payload = R"({"tag": "x"})";
  p.qos = protocol::QoS::at_least_once;
  p.properties.response_topic = "$svc/inbox/alice-1/r";
  p.properties.correlation_data = "corr-1";
  return p;
}

const CallerView kAlice{ProtocolVersion::v5, "alice-1"};

CallRejection rejection(const protocol::Publish& p, const CallerView& who = kAlice) {
  const auto result = validate_call(p, who);
  EXPECT_FALSE(result);
  return result ? CallRejection{ServiceStatus::ok, "", false} : result.error();
}

TEST(CallRequest, AcceptsAWellFormedCallWithDefaults) {
  const auto result = validate_call(good_call(), kAlice);
  ASSERT_TRUE(result) << result.error().reason;
  EXPECT_EQ(result->service, "plc");
  EXPECT_EQ(result->method, "read");
  EXPECT_EQ(result->response_topic, "$svc/inbox/alice-1/r");
  EXPECT_EQ(result->correlation, "corr-1");
  EXPECT_EQ(result->pinned_node, std::nullopt);
  EXPECT_EQ(result->timeout, milliseconds(10'000));
}

TEST(CallRequest, Mqtt311IsRefusedWithoutAReply) {
  const auto r = rejection(good_call(), CallerView{ProtocolVersion::v311, "alice-1"});
  EXPECT_EQ(r.status, ServiceStatus::bad_request);
  EXPECT_EQ(r.reason, "service calls need MQTT 5");
  EXPECT_FALSE(r.can_reply);
}

TEST(CallRequest, ResponseTopicMustBeInsideTheCallersOwnInbox) {
  for (const char* topic : {"$svc/inbox/bob/r", "$svc/inbox/alice-1", "$svc/inbox/alice-1/",
                            "$svc/inbox/alice-10/r", "reply/alice-1/r", "$svc/inbox/alice-1/+",
                            "$svc/registry/plc", "$svc/inbox/alice-1/#"}) {
    auto p = good_call();
    p.properties.response_topic = topic;
    const auto r = rejection(p);
    EXPECT_EQ(r.status, ServiceStatus::bad_request) << topic;
    EXPECT_FALSE(r.can_reply) << topic;  // never publish into a foreign topic, not even an error
  }
  auto p = good_call();
  p.properties.response_topic.reset();
  EXPECT_EQ(rejection(p).reason, "no Response Topic");
  p = good_call();
  p.properties.response_topic = "$svc/inbox/alice-1/deep/er/topic";
  EXPECT_TRUE(validate_call(p, kAlice));
}

TEST(CallRequest, ClientIdsThatAreNotOneLevelHaveNoInbox) {
  auto p = good_call();
  p.properties.response_topic = "$svc/inbox/a/b/r";
  const auto r = rejection(p, CallerView{ProtocolVersion::v5, "a/b"});
  EXPECT_FALSE(r.can_reply);
  EXPECT_NE(r.reason.find("no inbox"), std::string::npos);
  // Client "a" owns "$svc/inbox/a/..." (deeper levels included); "a/b" can never be a client's
  // inbox level, so no other client's replies can land there.
  EXPECT_TRUE(validate_call(p, CallerView{ProtocolVersion::v5, "a"}));
}

TEST(CallRequest, CorrelationDataIsRequiredAndBounded) {
  auto p = good_call();
  p.properties.correlation_data.reset();
  EXPECT_EQ(rejection(p).reason, "no Correlation Data");
  p.properties.correlation_data = "";
  EXPECT_EQ(rejection(p).reason, "no Correlation Data");
  p.properties.correlation_data = std::string(257, 'c');
  EXPECT_FALSE(rejection(p).can_reply);
  p.properties.correlation_data = std::string(256, '\0');
  EXPECT_TRUE(validate_call(p, kAlice));
}

TEST(CallRequest, TopicMustBeACallTopicWithValidNames) {
  for (const char* topic : {"$svc/call/plc", "$svc/call/plc/read/x", "$svc/call/p*c/read",
                            "$svc/call/$x/read", "$svc/node/n/call/plc/read"}) {
    auto p = good_call();
    p.topic = topic;
    const auto r = rejection(p);
    EXPECT_EQ(r.status, ServiceStatus::bad_request) << topic;
    EXPECT_TRUE(r.can_reply) << topic;
  }
}

TEST(CallRequest, RetainedCallIsRefused) {
  auto p = good_call();
  p.retain = true;
  EXPECT_EQ(rejection(p).reason, "a service call cannot be retained");
}

TEST(CallRequest, SvcNodePinsAValidNodeOnce) {
  auto p = good_call();
  p.properties.user_properties = {{"svc-node", "edge-1"}};
  EXPECT_EQ(validate_call(p, kAlice)->pinned_node, "edge-1");
  p.properties.user_properties = {{"svc-node", "a/b"}};
  EXPECT_TRUE(rejection(p).can_reply);
  p.properties.user_properties = {{"svc-node", "a"}, {"svc-node", "b"}};
  EXPECT_EQ(rejection(p).reason, "svc-node given twice");
}

TEST(CallRequest, SvcTimeoutIsBoundedTo60Seconds) {
  auto p = good_call();
  p.properties.user_properties = {{"svc-timeout-ms", "2500"}};
  EXPECT_EQ(validate_call(p, kAlice)->timeout, milliseconds(2500));
  p.properties.user_properties = {{"svc-timeout-ms", "60000"}};
  EXPECT_EQ(validate_call(p, kAlice)->timeout, milliseconds(60'000));
  for (const char* bad : {"60001", "0", "-1", "1e3", " 5", "5 ", "", "abc",
                          "99999999999999999999999"}) {
    p.properties.user_properties = {{"svc-timeout-ms", bad}};
    const auto r = rejection(p);
    EXPECT_EQ(r.status, ServiceStatus::bad_request) << bad;
    EXPECT_TRUE(r.can_reply) << bad;
  }
}

TEST(CallRequest, ShorterMessageExpiryShortensTheDeadline) {
  auto p = good_call();
  p.properties.message_expiry_interval = 3;
  EXPECT_EQ(validate_call(p, kAlice)->timeout, milliseconds(3000));
  p.properties.message_expiry_interval = 100;  // longer: the default stands
  EXPECT_EQ(validate_call(p, kAlice)->timeout, milliseconds(10'000));
  p.properties.user_properties = {{"svc-timeout-ms", "500"}};
  p.properties.message_expiry_interval = 1;
  EXPECT_EQ(validate_call(p, kAlice)->timeout, milliseconds(500));
  p.properties.message_expiry_interval = 0;
  EXPECT_TRUE(rejection(p).can_reply);
}

TEST(CallRequest, OtherUserPropertiesAreIgnored) {
  auto p = good_call();
  p.properties.user_properties = {{"svc-caller", "root"}, {"trace", "1"}};
  EXPECT_TRUE(validate_call(p, kAlice));
}

}  // namespace
}  // namespace arkmq::services
