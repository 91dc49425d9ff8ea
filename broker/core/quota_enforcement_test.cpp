// Flow-control enforcement of the publish rate and bandwidth per principal: MQTT 5 reason codes,
// v3.1.1 read pausing, runtime changes, repeated refusals, quota_hit events and $SYS counters.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/core/quota_test_fixture.hpp"

namespace arkmq::core::test {
namespace {

class QuotaEnforcementTest : public QuotaFixture {};

TEST_F(QuotaEnforcementTest, V5Qos1OverTheBurstIsRefused0x97AndNotRouted) {
  limits->set("sensor", rate(1, 2));
  Broker& broker = make();
  auto sub = client(broker, "reader", "sub");
  sub->subscribe("t", QoS::at_least_once);
  auto pub = client(broker, "sensor", "pub");
  for (std::uint16_t id = 1; id <= 3; ++id) pub->publish("t", "m", QoS::at_least_once, false, id);
  EXPECT_EQ(puback_reasons(*pub), (std::vector<ReasonCode>{ReasonCode::success, ReasonCode::success,
                                                           ReasonCode::quota_exceeded}));
  EXPECT_EQ(sub->received_of<protocol::Publish>().size(), 2U);
  EXPECT_EQ(value(counters().rate_exceeded), 1U);
  EXPECT_FALSE(pub->closed());
}

TEST_F(QuotaEnforcementTest, TheBucketRefillsWithTime) {
  limits->set("sensor", rate(1, 1));
  Broker& broker = make();
  auto pub = client(broker, "sensor", "pub");
  pub->publish("t", "m", QoS::at_least_once, false, 1);
  pub->publish("t", "m", QoS::at_least_once, false, 2);
  pub->advance(1s);
  pub->publish("t", "m", QoS::at_least_once, false, 3);
  EXPECT_EQ(puback_reasons(*pub),
            (std::vector<ReasonCode>{ReasonCode::no_matching_subscribers,
                                     ReasonCode::quota_exceeded,
                                     ReasonCode::no_matching_subscribers}));
}

TEST_F(QuotaEnforcementTest, V5Qos0OverTheRateIsDroppedAndCounted) {
  limits->set("sensor", rate(1, 2));
  Broker& broker = make();
  auto sub = client(broker, "reader", "sub");
  sub->subscribe("t", QoS::at_most_once);
  auto pub = client(broker, "sensor", "pub");
  for (int i = 0; i < 5; ++i) pub->publish("t", "m");
  EXPECT_EQ(sub->received_of<protocol::Publish>().size(), 2U);
  EXPECT_EQ(value(counters().dropped), 3U);
  EXPECT_EQ(value(counters().rate_exceeded), 3U);
  EXPECT_TRUE(pub->received().empty());
  EXPECT_FALSE(pub->closed());
}

TEST_F(QuotaEnforcementTest, V5BandwidthOverTheLimitIsRefused0x97) {
  ClientLimits own;
  own.publish.bytes_per_s = 100;
  limits->set("sensor", own);
  Broker& broker = make();
  auto pub = client(broker, "sensor", "pub");
  pub->publish("t", std::string(60, 'x'), QoS::exactly_once, false, 1);
  pub->publish("t", std::string(60, 'x'), QoS::exactly_once, false, 2);
  const auto pubrecs = pub->received_of<protocol::Pubrec>();
  ASSERT_EQ(pubrecs.size(), 2U);
  EXPECT_EQ(pubrecs[0].reason, ReasonCode::no_matching_subscribers);
  EXPECT_EQ(pubrecs[1].reason, ReasonCode::quota_exceeded);
  EXPECT_EQ(value(counters().quota_exceeded), 1U);
  EXPECT_EQ(events->count(QuotaKind::bandwidth), 1U);
}

TEST_F(QuotaEnforcementTest, AnUnlimitedClientIsUnaffected) {
  limits->set("sensor", rate(1, 1));
  Broker& broker = make();
  auto sub = client(broker, "reader", "sub");
  sub->subscribe("t", QoS::at_least_once);
  auto free = client(broker, "other", "free");
  for (std::uint16_t id = 1; id <= 50; ++id) free->publish("t", "m", QoS::at_least_once, false, id);
  for (const ReasonCode reason : puback_reasons(*free)) EXPECT_EQ(reason, ReasonCode::success);
  EXPECT_EQ(sub->received_of<protocol::Publish>().size(), 50U);
  EXPECT_TRUE(events->hits.empty());
}

TEST_F(QuotaEnforcementTest, V311OverTheRateIsRoutedAndPausesReading) {
  limits->set("sensor", rate(10, 1));
  Broker& broker = make();
  auto sub = client(broker, "reader", "sub");
  sub->subscribe("t", QoS::at_least_once);
  auto pub = client(broker, "sensor", "pub", ProtocolVersion::v311);
  pub->publish("t", "a", QoS::at_least_once, false, 1);
  EXPECT_FALSE(pub->connection().read_paused_until().has_value());
  pub->publish("t", "b", QoS::at_least_once, false, 2);
  // One token taken, one charged into debt: a token is back after 2 x 100 ms.
  ASSERT_TRUE(pub->connection().read_paused_until().has_value());
  EXPECT_EQ(*pub->connection().read_paused_until(), pub->now() + 200ms);
  EXPECT_EQ(puback_reasons(*pub), (std::vector<ReasonCode>{ReasonCode::success, ReasonCode::success}));
  EXPECT_EQ(sub->received_of<protocol::Publish>().size(), 2U);
  EXPECT_EQ(value(counters().read_paused), 1U);
  EXPECT_EQ(events->count(QuotaKind::message_rate), 1U);
  EXPECT_FALSE(pub->closed());
}

TEST_F(QuotaEnforcementTest, V311FramesAfterThePauseWaitUntilItEnds) {
  limits->set("sensor", rate(10, 1));
  Broker& broker = make();
  auto sub = client(broker, "reader", "sub");
  sub->subscribe("t", QoS::at_most_once);
  auto pub = client(broker, "sensor", "pub", ProtocolVersion::v311);
  pub->publish("t", "a");
  pub->publish("t", "b");  // paused for 200 ms
  pub->publish("t", "c");  // already read: kept in the buffer, not handled yet
  EXPECT_EQ(sub->received_of<protocol::Publish>().size(), 2U);
  pub->advance(200ms);
  pub->send_bytes({});  // the net layer's call when the pause ends
  const auto got = sub->received_of<protocol::Publish>();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "c");
}

TEST_F(QuotaEnforcementTest, V311KeepAliveCountsFromTheEndOfAPause) {
  ClientLimits own;
  own.publish.bytes_per_s = 10;  // a 1000-byte message leaves the bucket ~100 s in debt
  limits->set("sensor", own);
  Broker& broker = make();
  fx.policy->principal = "sensor";
  TestClient pub(broker, ProtocolVersion::v311);
  protocol::Connect connect;
  connect.version = ProtocolVersion::v311;
  connect.client_id = "pub";
  connect.keep_alive = 10;  // 15 s allowed between packets
  ASSERT_EQ(pub.connect(connect).reason, ReasonCode::success);
  pub.publish("t", std::string(1000, 'x'));
  pub.publish("t", std::string(1000, 'x'));
  ASSERT_TRUE(pub.connection().read_paused_until().has_value());
  const auto until = *pub.connection().read_paused_until();
  EXPECT_GT(until, pub.now() + 60s);
  pub.tick(pub.now() + 30s);
  EXPECT_FALSE(pub.closed());
  pub.tick(until + 16s);
  EXPECT_TRUE(pub.closed());
}

TEST_F(QuotaEnforcementTest, ARuntimeChangeAppliesAtTheNextPublish) {
  Broker& broker = make();
  auto pub = client(broker, "sensor", "pub");
  pub->publish("t", "m", QoS::at_least_once, false, 1);
  pub->publish("t", "m", QoS::at_least_once, false, 2);
  limits->set("sensor", rate(1, 1));  // a new generation
  pub->publish("t", "m", QoS::at_least_once, false, 3);
  pub->publish("t", "m", QoS::at_least_once, false, 4);
  const auto reasons = puback_reasons(*pub);
  ASSERT_EQ(reasons.size(), 4U);
  EXPECT_EQ(reasons[2], ReasonCode::no_matching_subscribers);
  EXPECT_EQ(reasons[3], ReasonCode::quota_exceeded);
}

TEST_F(QuotaEnforcementTest, LimitsAreFetchedAgainOnlyWhenTheGenerationChanges) {
  limits->set("sensor", rate(100, 100));
  Broker& broker = make();
  auto pub = client(broker, "sensor", "pub");
  const int after_connect = limits->fetches;
  for (int i = 0; i < 10; ++i) pub->publish("t", "m");
  EXPECT_EQ(limits->fetches, after_connect);
  limits->set("other", rate(1, 1));
  pub->publish("t", "m");
  EXPECT_EQ(limits->fetches, after_connect + 1);
}

TEST_F(QuotaEnforcementTest, RepeatedRefusalsDisconnectWhenConfigured) {
  fx.config.quota_disconnect_after = 2;
  limits->set("sensor", rate(1, 1));
  Broker& broker = make();
  auto pub = client(broker, "sensor", "pub");
  pub->publish("t", "m");
  pub->publish("t", "m");
  EXPECT_FALSE(pub->closed());
  pub->publish("t", "m");
  const auto disconnects = pub->received_of<protocol::Disconnect>();
  ASSERT_EQ(disconnects.size(), 1U);
  EXPECT_EQ(disconnects[0].reason, ReasonCode::message_rate_too_high);
  EXPECT_TRUE(pub->closed());
  EXPECT_EQ(value(counters().disconnected), 1U);
}

TEST_F(QuotaEnforcementTest, AnAcceptedPublishResetsTheRefusalCount) {
  fx.config.quota_disconnect_after = 2;
  limits->set("sensor", rate(1, 1));
  Broker& broker = make();
  auto pub = client(broker, "sensor", "pub");
  pub->publish("t", "m");
  pub->publish("t", "m");  // refused: 1
  pub->advance(1s);
  pub->publish("t", "m");  // accepted
  pub->publish("t", "m");  // refused: 1 again
  EXPECT_FALSE(pub->closed());
}

TEST_F(QuotaEnforcementTest, QuotaHitsNameTheClientAndPrincipal) {
  limits->set("sensor", rate(1, 1));
  Broker& broker = make();
  auto pub = client(broker, "sensor", "pub");
  pub->publish("t", "m", QoS::at_least_once, false, 1);
  pub->publish("t", "m", QoS::at_least_once, false, 2);
  ASSERT_EQ(events->hits.size(), 1U);
  EXPECT_EQ(events->hits[0].client_id, "pub");
  EXPECT_EQ(events->hits[0].principal, "sensor");
  EXPECT_EQ(events->hits[0].kind, QuotaKind::message_rate);
  EXPECT_NE(events->hits[0].detail.find("message rate over 1 msgs/s"), std::string::npos);
}

TEST_F(QuotaEnforcementTest, QuotaCountersArePublishedUnderSys) {
  limits->set("sensor", rate(1, 1));
  Broker& broker = fx.make_with_sys();
  broker.set_limits_provider(limits);
  auto pub = client(broker, "sensor", "pub");
  pub->publish("t", "m");
  pub->publish("t", "m");
  auto sub = client(broker, "reader", "sub");
  broker.tick(pub->now());
  sub->subscribe("$SYS/broker/quota/#", QoS::at_most_once);
  std::map<std::string, std::string> values;
  for (const auto& p : sub->received_of<protocol::Publish>()) values[p.topic] = p.payload;
  EXPECT_EQ(values["$SYS/broker/quota/rate_exceeded"], "1");
  EXPECT_EQ(values["$SYS/broker/quota/dropped"], "1");
  EXPECT_EQ(values.count("$SYS/broker/quota/refused_connections"), 1U);
}

TEST(TokenBucketTimeUntil, IsZeroWhenTheTokensAreThereAndTheRefillTimeOtherwise) {
  const auto now = t0();
  TokenBucket bucket(10, 2, now);
  EXPECT_EQ(bucket.time_until(1), Clock::duration::zero());
  bucket.try_take(2, now);
  EXPECT_EQ(bucket.time_until(1), std::chrono::milliseconds(100));
  bucket.force_take(3);  // debt: -3
  EXPECT_EQ(bucket.time_until(1), std::chrono::milliseconds(400));
  EXPECT_EQ(TokenBucket().time_until(1000), Clock::duration::zero());
}

}  // namespace
}  // namespace arkmq::core::test
