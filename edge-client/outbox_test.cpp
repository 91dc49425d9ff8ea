// The SQLite outbox on a real file: store, acknowledge, replay order, bound policy, reopen; and
// the sender's window and replay marks.
#include "edge-client/outbox.hpp"

#include <gtest/gtest.h>

#include "edge-client/outbox_sender.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::edge {
namespace {

EdgeMessage message(int i) {
  EdgeMessage m;
  m.topic = "sites/p3/sensors/t";
  m.payload = "m-" + std::to_string(i);
  m.qos = 1;
  m.content_type = "text/plain";
  m.correlation_data = std::string("\x00\x01", 2);
  m.message_expiry_s = 60;
  m.user_properties = {{"arkmq-origin", "edge-1"}, {"unit", "C"}};
  return m;
}

std::unique_ptr<Outbox> open(const arkmq::test::TempDir& dir, OutboxLimits limits = {}) {
  auto outbox = Outbox::open(dir.file("outbox.db"), limits);
  EXPECT_TRUE(outbox) << outbox.error();
  return std::move(*outbox);
}

TEST(Outbox, StoredMessagesComeBackInOrderWithAllTheirFields) {
  arkmq::test::TempDir dir("arkmq-outbox");
  auto outbox = open(dir);
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 5; ++i) seqs.push_back(*outbox->store(message(i)));
  for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_GT(seqs[i], seqs[i - 1]);
  auto rows = outbox->read_after(0, 100);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 5U);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*rows)[i].seq, seqs[i]);
    EXPECT_EQ((*rows)[i].message.payload, "m-" + std::to_string(i));
  }
  const auto& m = (*rows)[0].message;
  EXPECT_EQ(m.topic, "sites/p3/sensors/t");
  EXPECT_EQ(m.qos, 1);
  EXPECT_EQ(m.content_type, "text/plain");
  EXPECT_EQ(m.correlation_data, std::string("\x00\x01", 2));
  EXPECT_EQ(m.message_expiry_s, 60U);
  EXPECT_EQ(m.user_property("unit"), "C");
  EXPECT_FALSE((*rows)[0].from_earlier_run);
  EXPECT_EQ(outbox->stats().depth, 5);
}

TEST(Outbox, AcknowledgedRowsAreGoneAndReadAfterSkipsAhead) {
  arkmq::test::TempDir dir("arkmq-outbox");
  auto outbox = open(dir);
  const auto a = *outbox->store(message(0));
  const auto b = *outbox->store(message(1));
  const auto c = *outbox->store(message(2));
  ASSERT_TRUE(outbox->remove(b));
  ASSERT_TRUE(outbox->remove(b));  // twice is fine (a late PUBACK after eviction)
  auto rows = *outbox->read_after(0, 10);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].seq, a);
  EXPECT_EQ(rows[1].seq, c);
  EXPECT_EQ(outbox->read_after(a, 10)->size(), 1U);
  EXPECT_EQ(outbox->stats().depth, 2);
}

TEST(Outbox, SurvivesReopenAndMarksOldRowsAsFromAnEarlierRun) {
  arkmq::test::TempDir dir("arkmq-outbox");
  std::int64_t last = 0;
  std::string epoch;
  {
    auto outbox = open(dir);
    epoch = outbox->epoch();
    for (int i = 0; i < 3; ++i) last = *outbox->store(message(i));
  }
  auto outbox = open(dir);
  EXPECT_EQ(outbox->stats().depth, 3);
  EXPECT_EQ(outbox->epoch().size(), 16U);
  EXPECT_EQ(outbox->epoch(), epoch);  // the same file, the same epoch
  const auto next = *outbox->store(message(3));
  EXPECT_GT(next, last);
  auto rows = *outbox->read_after(0, 10);
  ASSERT_EQ(rows.size(), 4U);
  EXPECT_TRUE(rows[0].from_earlier_run);
  EXPECT_TRUE(rows[2].from_earlier_run);
  EXPECT_FALSE(rows[3].from_earlier_run);
}

TEST(Outbox, SequenceNumbersAreNeverReusedAfterDeletion) {
  arkmq::test::TempDir dir("arkmq-outbox");
  auto outbox = open(dir);
  const auto a = *outbox->store(message(0));
  ASSERT_TRUE(outbox->remove(a));
  EXPECT_GT(*outbox->store(message(1)), a);
}

TEST(Outbox, OverTheMessageBoundTheOldestRowsAreDroppedAndCounted) {
  arkmq::test::TempDir dir("arkmq-outbox");
  auto outbox = open(dir, OutboxLimits{3, 1 << 20});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(outbox->store(message(i)));
  auto rows = *outbox->read_after(0, 10);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].message.payload, "m-2");
  EXPECT_EQ(rows[2].message.payload, "m-4");
  EXPECT_EQ(outbox->stats().dropped_oldest, 2);
  EXPECT_EQ(outbox->stats().depth, 3);
}

TEST(Outbox, OverTheByteBoundTheOldestRowsAreDroppedAndAHugeMessageIsRefused) {
  arkmq::test::TempDir dir("arkmq-outbox");
  auto outbox = open(dir, OutboxLimits{1000, 2048});
  EdgeMessage big;
  big.topic = "t";
  big.payload = std::string(900, 'x');
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(outbox->store(big));
  EXPECT_LE(outbox->stats().bytes, 2048);
  EXPECT_EQ(outbox->stats().depth, 2);
  EXPECT_EQ(outbox->stats().dropped_oldest, 2);
  big.payload = std::string(4096, 'x');
  EXPECT_FALSE(outbox->store(big));
  EXPECT_EQ(outbox->stats().refused, 1);
  EXPECT_EQ(outbox->stats().depth, 2);
}

TEST(OutboxSender, SendsInOrderWithinTheWindowAndReplaysMarkedAfterReconnect) {
  arkmq::test::TempDir dir("arkmq-outbox");
  auto outbox = open(dir);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(outbox->store(message(i)));
  OutboxSender sender(*outbox, 3);
  std::vector<EdgeMessage> sent;
  const auto publish = [&](std::int64_t, const EdgeMessage& m) {
    sent.push_back(m);
    return true;
  };
  sender.link_up();
  EXPECT_EQ(*sender.pump(publish), 3U);
  EXPECT_EQ(*sender.pump(publish), 0U);  // window full
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(sent[0].payload, "m-0");
  EXPECT_EQ(sent[2].payload, "m-2");
  EXPECT_FALSE(sent[0].user_property(kReplayProperty));
  EXPECT_EQ(sent[0].user_property(kEpochProperty), outbox->epoch());
  const auto first_seq = std::stoll(*sent[0].user_property(kSeqProperty));
  sender.acked(first_seq);
  EXPECT_EQ(*sender.pump(publish), 1U);
  EXPECT_EQ(sent.back().payload, "m-3");

  // The link drops with m-1..m-3 unacknowledged: after the reconnect they go again, marked,
  // oldest first, and m-4 (never sent) is not marked.
  sender.link_down();
  sender.link_up();
  sent.clear();
  EXPECT_EQ(*sender.pump(publish), 3U);
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(sent[0].payload, "m-1");
  EXPECT_EQ(sent[0].user_property(kReplayProperty), "1");
  EXPECT_EQ(sent[2].payload, "m-3");
  for (const auto& m : sent) sender.acked(std::stoll(*m.user_property(kSeqProperty)));
  sent.clear();
  EXPECT_EQ(*sender.pump(publish), 1U);
  EXPECT_EQ(sent[0].payload, "m-4");
  EXPECT_FALSE(sent[0].user_property(kReplayProperty));
  sender.refused(std::stoll(*sent[0].user_property(kSeqProperty)));
  EXPECT_EQ(outbox->stats().depth, 0);
  EXPECT_EQ(sender.refused_count(), 1);
}

}  // namespace
}  // namespace arkmq::edge

namespace arkmq::edge {
namespace {

TEST(OutboxSender, RowsThatCouldNotBeHandedOverAreSentAgainInOrderUnmarked) {
  arkmq::test::TempDir dir("arkmq-outbox");
  auto outbox = open(dir);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(outbox->store(message(i)));
  OutboxSender sender(*outbox, 10);
  std::vector<EdgeMessage> sent;
  int accept = 2;  // the client takes two, then refuses (its buffer is full)
  const auto publish = [&](std::int64_t, const EdgeMessage& m) {
    if (accept == 0) return false;
    --accept;
    sent.push_back(m);
    return true;
  };
  sender.link_up();
  EXPECT_EQ(*sender.pump(publish), 2U);
  EXPECT_EQ(sender.in_flight(), 2U);
  accept = 10;
  EXPECT_EQ(*sender.pump(publish), 2U);
  ASSERT_EQ(sent.size(), 4U);
  EXPECT_EQ(sent[2].payload, "m-2");
  EXPECT_EQ(sent[3].payload, "m-3");
  EXPECT_FALSE(sent[2].user_property(kReplayProperty));  // never left the edge before
}

}  // namespace
}  // namespace arkmq::edge
