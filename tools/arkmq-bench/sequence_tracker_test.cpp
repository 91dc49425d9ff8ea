// SequenceTracker: in-order streams, gaps (losses), duplicates and late arrivals per publisher.
#include "tools/arkmq-bench/sequence_tracker.hpp"

#include <gtest/gtest.h>

namespace arkmq::bench {
namespace {

TEST(SequenceTracker, InOrderStreamHasNoLossDuplicateOrReordering) {
  SequenceTracker t(1);
  for (std::uint64_t n = 0; n < 5000; ++n) t.record(0, n);
  EXPECT_EQ(t.counts().received, 5000U);
  EXPECT_EQ(t.counts().distinct, 5000U);
  EXPECT_EQ(t.counts().duplicates, 0U);
  EXPECT_EQ(t.counts().reordered, 0U);
  EXPECT_EQ(t.lost_from(0, 5000), 0U);
}

TEST(SequenceTracker, GapsCountAsLostAgainstWhatWasSent) {
  SequenceTracker t(1);
  for (std::uint64_t n = 0; n < 100; ++n) {
    if (n != 17 && n != 18 && n != 60) t.record(0, n);
  }
  EXPECT_EQ(t.lost_from(0, 100), 3U);
  EXPECT_EQ(t.lost_from(0, 110), 13U);  // the tail that never arrived is lost too
  EXPECT_EQ(t.counts().reordered, 0U);
}

TEST(SequenceTracker, RepeatedNumberIsADuplicateNotANewMessage) {
  SequenceTracker t(1);
  t.record(0, 0);
  t.record(0, 1);
  t.record(0, 1);
  t.record(0, 0);
  t.record(0, 2);
  EXPECT_EQ(t.counts().received, 5U);
  EXPECT_EQ(t.counts().distinct, 3U);
  EXPECT_EQ(t.counts().duplicates, 2U);
  EXPECT_EQ(t.lost_from(0, 3), 0U);
}

TEST(SequenceTracker, LateArrivalFillsTheGapAndCountsAsReordered) {
  SequenceTracker t(1);
  t.record(0, 0);
  t.record(0, 2);
  t.record(0, 1);
  EXPECT_EQ(t.counts().distinct, 3U);
  EXPECT_EQ(t.counts().reordered, 1U);
  EXPECT_EQ(t.counts().duplicates, 0U);
  EXPECT_EQ(t.lost_from(0, 3), 0U);
}

TEST(SequenceTracker, DuplicateIsDetectedJustInsideTheWindow) {
  SequenceTracker t(1);
  for (std::uint64_t n = 0; n < SequenceTracker::window; ++n) t.record(0, n);
  t.record(0, 0);  // highest is window-1: 0 is still inside
  EXPECT_EQ(t.counts().duplicates, 1U);
}

TEST(SequenceTracker, JumpBeyondTheWindowForgetsOldNumbers) {
  SequenceTracker t(1);
  t.record(0, 5);
  t.record(0, 5 + 3 * SequenceTracker::window);
  t.record(0, 6 + 3 * SequenceTracker::window);
  t.record(0, 7 + SequenceTracker::window * 3);
  t.record(0, 6 + 3 * SequenceTracker::window);  // inside the window: a duplicate
  EXPECT_EQ(t.counts().duplicates, 1U);
  EXPECT_EQ(t.counts().distinct, 4U);
}

TEST(SequenceTracker, PublishersAreTrackedSeparately) {
  SequenceTracker t(3);
  for (std::uint64_t n = 0; n < 10; ++n) {
    t.record(0, n);
    if (n % 2 == 0) t.record(1, n);
    t.record(2, n);
    t.record(2, n);
  }
  EXPECT_EQ(t.lost_from(0, 10), 0U);
  EXPECT_EQ(t.lost_from(1, 10), 5U);  // the odd numbers
  EXPECT_EQ(t.lost_from(2, 10), 0U);
  EXPECT_EQ(t.counts().duplicates, 10U);
}

TEST(SequenceTracker, UnknownPublisherIsCountedAsForeignAndIgnored) {
  SequenceTracker t(1);
  t.record(4, 0);
  EXPECT_EQ(t.counts().foreign, 1U);
  EXPECT_EQ(t.counts().distinct, 0U);
  EXPECT_EQ(t.lost_from(4, 1), 1U);
}

}  // namespace
}  // namespace arkmq::bench
