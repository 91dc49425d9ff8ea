// ReplayFilter: marked duplicates are dropped, unmarked messages never are, malformed stamps take
// no part, the bounds forget (letting possible duplicates through) instead of dropping; and the
// broker acknowledges a dropped duplicate without routing it, counted in $SYS.
#include "broker/core/replay_filter.hpp"

#include <gtest/gtest.h>

#include <string>

#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core {
namespace {

using protocol::QoS;

protocol::Publish stamped(std::string epoch, std::string seq, std::optional<std::string> replay,
                          QoS qos = QoS::at_least_once) {
  protocol::Publish publish;
  publish.topic = "sites/plant-3/temp";
  publish.qos = qos;
  publish.packet_id = qos == QoS::at_most_once ? 0 : 1;
  publish.properties.user_properties.push_back({"arkmq-epoch", std::move(epoch)});
  publish.properties.user_properties.push_back({"arkmq-seq", std::move(seq)});
  if (replay) publish.properties.user_properties.push_back({"arkmq-replay", std::move(*replay)});
  return publish;
}

ReplayStamp fresh(std::string_view epoch, std::uint64_t seq) { return {epoch, seq, false}; }
ReplayStamp replayed(std::string_view epoch, std::uint64_t seq) { return {epoch, seq, true}; }

TEST(ReplayStamp, ReadsEpochSeqAndTheReplayMark) {
  const protocol::Publish publish = stamped("e1", "42", "1");
  const auto stamp = replay_stamp(publish);
  ASSERT_TRUE(stamp);
  EXPECT_EQ(stamp->epoch, "e1");
  EXPECT_EQ(stamp->seq, 42U);
  EXPECT_TRUE(stamp->replay);
  EXPECT_FALSE(replay_stamp(stamped("e1", "42", std::nullopt))->replay);
  EXPECT_FALSE(replay_stamp(stamped("e1", "42", "yes"))->replay);  // only "1" marks
  EXPECT_EQ(replay_stamp(stamped("e1", "18446744073709551615", "1"))->seq, UINT64_MAX);
}

TEST(ReplayStamp, MalformedOrIncompleteStampsTakeNoPart) {
  EXPECT_FALSE(replay_stamp(stamped("e1", "12a", "1")));
  EXPECT_FALSE(replay_stamp(stamped("e1", "-3", "1")));
  EXPECT_FALSE(replay_stamp(stamped("e1", "+3", "1")));
  EXPECT_FALSE(replay_stamp(stamped("e1", " 3", "1")));
  EXPECT_FALSE(replay_stamp(stamped("e1", "", "1")));
  EXPECT_FALSE(replay_stamp(stamped("e1", "0", "1")));
  EXPECT_FALSE(replay_stamp(stamped("e1", "18446744073709551616", "1")));  // 2^64
  EXPECT_FALSE(replay_stamp(stamped("", "3", "1")));
  EXPECT_FALSE(replay_stamp(stamped(std::string(65, 'e'), "3", "1")));
  EXPECT_TRUE(replay_stamp(stamped(std::string(64, 'e'), "3", "1")));
  EXPECT_FALSE(replay_stamp(stamped("e1", "3", "1", QoS::at_most_once)));
  protocol::Publish no_epoch = stamped("e1", "3", "1");
  no_epoch.properties.user_properties.erase(no_epoch.properties.user_properties.begin());
  EXPECT_FALSE(replay_stamp(no_epoch));
  protocol::Publish two_seqs = stamped("e1", "3", "1");
  two_seqs.properties.user_properties.push_back({"arkmq-seq", "4"});
  EXPECT_FALSE(replay_stamp(two_seqs));
}

TEST(ReplayFilter, MarkedMessageWhoseSeqWasDeliveredIsADuplicate) {
  ReplayFilter filter;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    EXPECT_EQ(filter.check("edge-1", fresh("e1", seq)), ReplayVerdict::deliver);
  }
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 3)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 5)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 6)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 6)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.stats().duplicates, 3U);
}

TEST(ReplayFilter, UnmarkedMessageIsNeverDroppedButRecorded) {
  ReplayFilter filter;
  EXPECT_EQ(filter.check("edge-1", fresh("e1", 1)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.check("edge-1", fresh("e1", 1)), ReplayVerdict::deliver);  // not marked
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 1)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.stats().duplicates, 1U);
}

TEST(ReplayFilter, SeqsAboveAGapAreRememberedAndTheGapStaysDeliverable) {
  ReplayFilter filter;
  filter.check("edge-1", fresh("e1", 1));
  filter.check("edge-1", fresh("e1", 2));
  filter.check("edge-1", fresh("e1", 5));  // 3 and 4 not (yet) delivered
  filter.check("edge-1", fresh("e1", 6));
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 6)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 3)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 4)), ReplayVerdict::deliver);
  // The gap closed: the contiguous run now reaches 6.
  for (std::uint64_t seq = 1; seq <= 6; ++seq) {
    EXPECT_EQ(filter.check("edge-1", replayed("e1", seq)), ReplayVerdict::duplicate) << seq;
  }
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 7)), ReplayVerdict::deliver);
}

TEST(ReplayFilter, PrincipalsAndEpochsAreSeparate) {
  ReplayFilter filter;
  filter.check("edge-1", fresh("e1", 1));
  EXPECT_EQ(filter.check("edge-2", replayed("e1", 1)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.check("edge-1", replayed("e2", 1)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 1)), ReplayVerdict::duplicate);
}

TEST(ReplayFilter, AnonymousPublishersTakeNoPart) {
  ReplayFilter filter;
  filter.check("", fresh("e1", 1));
  EXPECT_EQ(filter.check("", replayed("e1", 1)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.principals(), 0U);
}

TEST(ReplayFilter, SeqsBeforeTheFirstSeenAreUnknownAndDelivered) {
  // E.g. after a broker restart the edge replays from seq 100: what came before is unknown.
  ReplayFilter filter;
  filter.check("edge-1", replayed("e1", 100));
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 50)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 99)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 99)), ReplayVerdict::duplicate);  // run grew
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 100)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.stats().unchecked, 2U);  // 50 and the first 99
}

TEST(ReplayFilter, ASeqBeyondTheWindowForgetsTheGapBelowItInsteadOfDroppingIt) {
  ReplayFilter filter(ReplayLimits{10, 4, 64});
  filter.check("edge-1", fresh("e1", 1));
  filter.check("edge-1", fresh("e1", 3));  // 2 missing: the run stops at 1
  for (std::uint64_t seq = 4; seq <= 200; ++seq) filter.check("edge-1", fresh("e1", seq));
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 1)), ReplayVerdict::duplicate);
  // 2 was never delivered; whatever lies below the window is unknown, so it is delivered.
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 2)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 100)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.stats().unchecked, 2U);
  // The last 64 seqs are still known.
  for (std::uint64_t seq = 137; seq <= 200; ++seq) {
    EXPECT_EQ(filter.check("edge-1", replayed("e1", seq)), ReplayVerdict::duplicate) << seq;
  }
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 201)), ReplayVerdict::deliver);
}

TEST(ReplayFilter, AFarJumpClearsTheWholeWindow) {
  ReplayFilter filter(ReplayLimits{10, 4, 64});
  filter.check("edge-1", fresh("e1", 1));
  filter.check("edge-1", fresh("e1", 3));
  filter.check("edge-1", fresh("e1", 1'000'000));
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 3)), ReplayVerdict::deliver);  // forgotten
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 1'000'000)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 1)), ReplayVerdict::duplicate);
}

TEST(ReplayFilter, TheLeastRecentlyUsedEpochIsForgottenPastTheBound) {
  ReplayFilter filter(ReplayLimits{10, 2, 64});
  filter.check("edge-1", fresh("e1", 1));
  filter.check("edge-1", fresh("e2", 1));
  filter.check("edge-1", fresh("e1", 2));  // e1 used last
  filter.check("edge-1", fresh("e3", 1));  // evicts e2
  EXPECT_EQ(filter.stats().forgotten, 1U);
  EXPECT_EQ(filter.check("edge-1", replayed("e1", 2)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.check("edge-1", replayed("e3", 1)), ReplayVerdict::duplicate);
  // A possible duplicate passes rather than a message being lost.
  EXPECT_EQ(filter.check("edge-1", replayed("e2", 1)), ReplayVerdict::deliver);
}

TEST(ReplayFilter, TheLeastRecentlyUsedPrincipalIsForgottenPastTheBound) {
  ReplayFilter filter(ReplayLimits{2, 4, 64});
  filter.check("a", fresh("e", 1));
  filter.check("b", fresh("e", 1));
  filter.check("a", fresh("e", 2));  // a used last
  filter.check("c", fresh("e", 1));  // evicts b
  EXPECT_EQ(filter.principals(), 2U);
  EXPECT_EQ(filter.stats().forgotten, 1U);
  EXPECT_EQ(filter.check("a", replayed("e", 2)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.check("c", replayed("e", 1)), ReplayVerdict::duplicate);
  EXPECT_EQ(filter.check("b", replayed("e", 1)), ReplayVerdict::deliver);
}

TEST(ReplayFilter, ManyPrincipalsStayWithinTheBound) {
  ReplayFilter filter(ReplayLimits{100, 4, 64});
  for (int i = 0; i < 1000; ++i) {
    filter.check("p" + std::to_string(i), fresh("e", 1));
    filter.check("p" + std::to_string(i), fresh("e", 3));
  }
  EXPECT_EQ(filter.principals(), 100U);
  EXPECT_EQ(filter.stats().forgotten, 900U);
}

TEST(ReplayFilter, ReplayAfterAReconnectInOrderDropsOnlyWhatWasDelivered) {
  // The edge sent 1..64, the link dropped after the broker routed 1..40; the edge replays 1..64
  // marked, then continues with fresh seqs.
  ReplayFilter filter;
  for (std::uint64_t seq = 1; seq <= 40; ++seq) filter.check("edge-1", fresh("e1", seq));
  std::uint64_t delivered = 0;
  for (std::uint64_t seq = 1; seq <= 64; ++seq) {
    if (filter.check("edge-1", replayed("e1", seq)) == ReplayVerdict::deliver) ++delivered;
  }
  EXPECT_EQ(delivered, 24U);
  EXPECT_EQ(filter.check("edge-1", fresh("e1", 65)), ReplayVerdict::deliver);
  EXPECT_EQ(filter.stats().duplicates, 40U);
  EXPECT_EQ(filter.stats().unchecked, 0U);
}

TEST(ReplayFilter, SysValuesNameTheCounters) {
  ReplayFilter filter;
  filter.check("edge-1", fresh("e1", 1));
  filter.check("edge-1", replayed("e1", 1));
  const auto values = replay_sys_values(filter);
  ASSERT_EQ(values.size(), 2U);
  EXPECT_EQ(values[0], (std::pair<std::string, std::string>{"messages/replay_duplicates", "1"}));
  EXPECT_EQ(values[1], (std::pair<std::string, std::string>{"messages/replay_unchecked", "0"}));
}

TEST(ReplayFilter, HookIgnoresUnstampedMessagesAndDropsMarkedDuplicates) {
  ReplayFilter filter;
  protocol::Publish plain;
  plain.topic = "t";
  plain.qos = QoS::at_least_once;
  EXPECT_FALSE(drop_replayed_duplicate(filter, "edge-1", "c1", plain));
  EXPECT_FALSE(drop_replayed_duplicate(filter, "edge-1", "c1", stamped("e1", "1", std::nullopt)));
  EXPECT_TRUE(drop_replayed_duplicate(filter, "edge-1", "c1", stamped("e1", "1", "1")));
  EXPECT_FALSE(drop_replayed_duplicate(filter, "edge-1", "c1", stamped("e1", "x", "1")));
}

}  // namespace

namespace test {
namespace {

protocol::Properties stamp_properties(std::string seq, bool replay) {
  protocol::Properties properties;
  properties.user_properties.push_back({"arkmq-epoch", "epoch-1"});
  properties.user_properties.push_back({"arkmq-seq", std::move(seq)});
  if (replay) properties.user_properties.push_back({"arkmq-replay", "1"});
  return properties;
}

TEST(ReplayDedupe, ABrokerAcknowledgesAReplayedDuplicateWithoutRoutingItAndCountsIt) {
  BrokerFixture fx;
  fx.config.sys_interval = std::chrono::seconds(10);
  Broker& broker = fx.make_with_sys();
  TestClient sub(broker, ProtocolVersion::v5);
  sub.connect("sub");
  sub.subscribe("sites/#", QoS::at_least_once);
  TestClient edge(broker, ProtocolVersion::v5);
  edge.connect("edge");  // principal "tester" (ScriptedPolicy)
  edge.publish("sites/t", "a", QoS::at_least_once, false, 1, stamp_properties("1", false));
  edge.publish("sites/t", "a", QoS::at_least_once, false, 2, stamp_properties("1", true));
  edge.publish("sites/t", "b", QoS::exactly_once, false, 3, stamp_properties("2", false));
  edge.publish("sites/t", "b", QoS::exactly_once, false, 4, stamp_properties("2", true));
  edge.publish("sites/t", "c", QoS::at_least_once, false, 5, stamp_properties("3", true));
  const auto acks = edge.received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 3U);
  for (const auto& ack : acks) EXPECT_EQ(ack.reason, ReasonCode::success) << ack.packet_id;
  const auto recs = edge.received_of<protocol::Pubrec>();
  ASSERT_EQ(recs.size(), 2U);
  for (const auto& rec : recs) EXPECT_EQ(rec.reason, ReasonCode::success) << rec.packet_id;
  std::vector<std::string> payloads;
  for (const auto& message : sub.received_of<protocol::Publish>()) {
    payloads.push_back(message.payload);
  }
  EXPECT_EQ(payloads, (std::vector<std::string>{"a", "b", "c"}));

  TestClient sys(broker, ProtocolVersion::v5);
  sys.connect("sys");
  sys.subscribe("$SYS/broker/messages/replay_duplicates", QoS::at_most_once);
  broker.tick(t0());
  const auto values = sys.received_of<protocol::Publish>();
  ASSERT_EQ(values.size(), 1U);
  EXPECT_EQ(values[0].payload, "2");
}

}  // namespace
}  // namespace test
}  // namespace arkmq::core
