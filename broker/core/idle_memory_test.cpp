// What an idle connection no longer carries (issue 7): quota buckets only for principals with
// limits of their own, no read buffer between whole packets. The behaviour must not change.
#include <gtest/gtest.h>

#include "broker/core/connection_quota.hpp"
#include "broker/core/session_store.hpp"
#include "broker/core/test_support/test_client.hpp"
#include "broker/protocol/codec.hpp"

namespace arkmq::core::test {
namespace {

ClientLimits publish_limits(std::uint64_t msgs_per_s) {
  ClientLimits limits;
  limits.publish.msgs_per_s = msgs_per_s;
  limits.publish.msgs_burst = 1;
  return limits;
}

TEST(ConnectionQuota, HoldsNoBucketsWhileThePrincipalHasNoLimitsOfItsOwn) {
  ConnectionQuota quota;
  quota.start(ClientLimits{}, t0());
  EXPECT_EQ(quota.publish(), nullptr);
  EXPECT_EQ(quota.limits(), ClientLimits{});
  quota.update(ClientLimits{}, t0() + 1s);
  EXPECT_EQ(quota.publish(), nullptr);
}

TEST(ConnectionQuota, LimitsSetAtConnectStartWithAFullBucket) {
  ConnectionQuota quota;
  quota.start(publish_limits(1), t0());
  ASSERT_NE(quota.publish(), nullptr);
  EXPECT_EQ(quota.limits().publish.msgs_per_s, 1U);
  EXPECT_EQ(quota.publish()->check_publish(10, t0()), QuotaVerdict::ok);
  EXPECT_EQ(quota.publish()->check_publish(10, t0()), QuotaVerdict::rate_exceeded);
}

TEST(ConnectionQuota, LimitsGrantedLaterStartFullAndKeepTokensWhenChangedAgain) {
  ConnectionQuota quota;
  quota.start(ClientLimits{}, t0());
  quota.update(publish_limits(1), t0() + 1s);
  ASSERT_NE(quota.publish(), nullptr);
  EXPECT_EQ(quota.publish()->check_publish(10, t0() + 1s), QuotaVerdict::ok);
  // Lowered to nothing and raised again: the empty bucket is not refilled by the change.
  ClientLimits other = publish_limits(1);
  other.max_subscriptions = 3;
  quota.update(other, t0() + 1s);
  EXPECT_EQ(quota.limits().max_subscriptions, 3U);
  EXPECT_EQ(quota.publish()->check_publish(10, t0() + 1s), QuotaVerdict::rate_exceeded);
  quota.update(ClientLimits{}, t0() + 1s);
  EXPECT_TRUE(quota.publish()->is_unlimited());
  EXPECT_EQ(quota.limits(), ClientLimits{});
}

protocol::Bytes encoded(const protocol::Packet& packet, ProtocolVersion version) {
  protocol::Bytes bytes;
  protocol::encode_packet(packet, version, bytes);
  return bytes;
}

TEST(ClientConnectionFraming, PacketsSplitAcrossReadsAndSeveralInOneReadAreAllHandled) {
  BrokerFixture fx;
  TestClient c(fx.make(), ProtocolVersion::v311);
  c.connect("framing");
  const protocol::Bytes ping = encoded(protocol::Pingreq{}, ProtocolVersion::v311);
  protocol::Publish publish;
  publish.topic = "a/b";
  publish.payload = std::string(300, 'x');  // a two-byte remaining length
  const protocol::Bytes pub = encoded(publish, ProtocolVersion::v311);
  // Two whole packets and the first byte of a third; then the rest in two reads.
  std::vector<std::uint8_t> stream;
  for (const auto* part : {&ping, &ping, &pub, &ping}) {
    stream.insert(stream.end(), part->begin(), part->end());
  }
  const std::size_t cut1 = 2 * ping.size() + 1;
  const std::size_t cut2 = cut1 + 100;
  c.send_bytes({stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut1)});
  EXPECT_EQ(c.received_of<protocol::Pingresp>().size(), 2U);
  c.send_bytes({stream.begin() + static_cast<std::ptrdiff_t>(cut1),
                stream.begin() + static_cast<std::ptrdiff_t>(cut2)});
  EXPECT_TRUE(c.received_of<protocol::Pingresp>().empty());
  c.send_bytes({stream.begin() + static_cast<std::ptrdiff_t>(cut2), stream.end()});
  EXPECT_EQ(c.received_of<protocol::Pingresp>().size(), 1U);
  EXPECT_FALSE(c.closed());
  EXPECT_EQ(fx.broker->stats().messages_received, 1U);
}

TEST(SessionStore, FindsSessionsByClientIdAfterOthersAreErased) {
  SessionStore store;
  const std::string long_id(40, 'a');  // not a short-string: the index views the session's copy
  Session& first = store.create(long_id);
  Session& second = store.create("b");
  const SessionKey first_key = first.key();
  store.erase(second.key());
  EXPECT_EQ(store.find("b"), nullptr);
  ASSERT_EQ(store.find(long_id), &first);
  EXPECT_EQ(store.find(first_key), &first);
  store.erase(first_key);
  EXPECT_EQ(store.find(long_id), nullptr);
  EXPECT_EQ(store.size(), 0U);
}

}  // namespace
}  // namespace arkmq::core::test
