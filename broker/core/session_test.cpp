// Unit tests for Session bookkeeping and WillScheduler.
#include "broker/core/session.hpp"

#include <gtest/gtest.h>

#include "broker/core/will_scheduler.hpp"

namespace arkmq::core {
namespace {

using namespace std::chrono_literals;

MessagePtr message(std::string payload, std::optional<TimePoint> expires = std::nullopt) {
  auto m = std::make_shared<Message>();
  m->topic = "t";
  m->payload = std::move(payload);
  m->qos = protocol::QoS::at_least_once;
  m->expires_at = expires;
  return m;
}

TEST(Session, PacketIdsSkipIdsStillInFlight) {
  Session session("c", 1);
  const std::uint16_t first = session.allocate_packet_id();
  session.add_in_flight(InFlight{first, InFlight::Stage::awaiting_puback, {}});
  for (int i = 0; i < 65534; ++i) {
    const std::uint16_t id = session.allocate_packet_id();
    ASSERT_NE(id, 0);
    ASSERT_NE(id, first);
  }
  // The counter wrapped around: the in-flight id is still skipped.
  EXPECT_NE(session.allocate_packet_id(), first);
}

TEST(Session, PacketIdAllocationFailsWhenAllIdsAreInFlight) {
  Session session("c", 1);
  for (int i = 0; i < 65535; ++i) {
    session.add_in_flight(InFlight{session.allocate_packet_id(), InFlight::Stage::awaiting_puback, {}});
  }
  EXPECT_EQ(session.allocate_packet_id(), 0);
  session.remove_in_flight(7);
  EXPECT_EQ(session.allocate_packet_id(), 7);
}

TEST(Session, QueueRefusesMessagesBeyondCountOrBytes) {
  Session session("c", 1);
  const QueueLimits limits{2, 100};
  EXPECT_TRUE(session.enqueue(Outbound{message("a"), protocol::QoS::at_least_once, false, {}}, limits));
  EXPECT_TRUE(session.enqueue(Outbound{message("b"), protocol::QoS::at_least_once, false, {}}, limits));
  EXPECT_FALSE(session.enqueue(Outbound{message("c"), protocol::QoS::at_least_once, false, {}}, limits));
  EXPECT_EQ(session.queued_count(), 2U);
  Session small("d", 2);
  EXPECT_FALSE(small.enqueue(Outbound{message(std::string(200, 'x')), protocol::QoS::at_least_once, false, {}},
                             limits));
  EXPECT_EQ(small.queued_bytes(), 0U);
}

TEST(Session, ExpiredQueuedMessagesAreRemoved) {
  Session session("c", 1);
  const TimePoint now{};
  const QueueLimits limits{10, 1000};
  session.enqueue(Outbound{message("old", now + 5s), protocol::QoS::at_least_once, false, {}}, limits);
  session.enqueue(Outbound{message("new", now + 50s), protocol::QoS::at_least_once, false, {}}, limits);
  EXPECT_EQ(session.remove_expired(now + 10s), 1U);
  EXPECT_EQ(session.pop_queued().message->payload, "new");
  EXPECT_EQ(session.queued_bytes(), 0U);
}

TEST(Session, AFreshSessionHasNothingQueuedInFlightOrWilled) {
  Session session("c", 1);
  EXPECT_FALSE(session.has_queued());
  EXPECT_EQ(session.queued_count(), 0u);
  EXPECT_EQ(session.outstanding(), 0u);
  EXPECT_EQ(session.find_in_flight(1), nullptr);
  EXPECT_EQ(session.remove_expired(TimePoint{} + 1h), 0u);
  EXPECT_EQ(session.remove_queued_if([](const Outbound&) { return true; }), 0u);
  session.remove_in_flight(1);  // unknown id: no-op
  std::size_t visited = 0;
  for (const InFlight& entry : session.in_flight()) visited += entry.packet_id;
  EXPECT_EQ(visited, 0u);
  EXPECT_FALSE(session.has_will());
  EXPECT_FALSE(session.take_will().has_value());
}

TEST(Session, TakeWillReturnsTheWillOnce) {
  Session session("c", 1);
  session.set_will(protocol::Will{"w/t", "gone", protocol::QoS::at_least_once, true, {}});
  ASSERT_TRUE(session.has_will());
  const std::optional<protocol::Will> will = session.take_will();
  ASSERT_TRUE(will.has_value());
  EXPECT_EQ(will->topic, "w/t");
  EXPECT_EQ(will->payload, "gone");
  EXPECT_TRUE(will->retain);
  EXPECT_FALSE(session.has_will());
  EXPECT_FALSE(session.take_will().has_value());
  session.set_will(protocol::Will{"w/t", "x", protocol::QoS::at_most_once, false, {}});
  session.set_will(std::nullopt);  // a CONNECT without a will clears the previous one
  EXPECT_FALSE(session.has_will());
}

TEST(Session, QueueAndInFlightKeepOrderAfterFirstUse) {
  Session session("c", 1);
  const QueueLimits limits{10, 1000};
  ASSERT_TRUE(session.enqueue(Outbound{message("a"), protocol::QoS::at_least_once, false, {}}, limits));
  ASSERT_TRUE(session.enqueue(Outbound{message("bb"), protocol::QoS::at_least_once, false, {}}, limits));
  EXPECT_EQ(session.queued_bytes(), 5u);  // topic "t" + payload, twice
  EXPECT_EQ(session.pop_queued().message->payload, "a");
  EXPECT_EQ(session.pop_queued().message->payload, "bb");
  EXPECT_FALSE(session.has_queued());
  session.add_in_flight(InFlight{7, InFlight::Stage::awaiting_puback, {}});
  session.add_in_flight(InFlight{8, InFlight::Stage::awaiting_puback, {}});
  ASSERT_NE(session.find_in_flight(8), nullptr);
  session.remove_in_flight(7);
  EXPECT_EQ(session.outstanding(), 1u);
  EXPECT_EQ(session.in_flight().front().packet_id, 8);
}

TEST(WillScheduler, DueWillsComeOutOldestFirstAndCancelRemoves) {
  WillScheduler wills;
  const TimePoint now{};
  wills.schedule(PendingWill{1, "a", {}, now + 20s, {}});
  wills.schedule(PendingWill{2, "b", {}, now + 10s, {}});
  wills.schedule(PendingWill{3, "c", {}, now + 30s, {}});
  EXPECT_TRUE(wills.cancel(3));
  EXPECT_FALSE(wills.cancel(3));
  EXPECT_TRUE(wills.take_due(now + 5s).empty());
  const auto due = wills.take_due(now + 25s);
  ASSERT_EQ(due.size(), 2U);
  EXPECT_EQ(due[0].client_id, "b");
  EXPECT_EQ(due[1].client_id, "a");
  EXPECT_EQ(wills.size(), 0U);
}

TEST(WillScheduler, TakeReturnsTheSessionsWillOnly) {
  WillScheduler wills;
  wills.schedule(PendingWill{1, "a", {}, TimePoint{}, {}});
  wills.schedule(PendingWill{2, "b", {}, TimePoint{}, {}});
  const auto taken = wills.take(2);
  ASSERT_EQ(taken.size(), 1U);
  EXPECT_EQ(taken[0].client_id, "b");
  EXPECT_EQ(wills.size(), 1U);
}

}  // namespace
}  // namespace arkmq::core
