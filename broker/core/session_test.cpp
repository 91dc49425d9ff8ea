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
