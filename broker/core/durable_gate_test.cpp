// DurableGate: bytes wait for their ticket's commit, in order; close waits for them.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker/core/durable_gate.hpp"
#include "broker/core/test_support/fake_link.hpp"
#include "broker/core/test_support/recording_durable_state.hpp"

namespace arkmq::core::test {
namespace {

SharedBytes bytes_of(std::uint8_t value, std::size_t size = 1) {
  return std::make_shared<std::vector<std::uint8_t>>(size, value);
}

class DurableGateTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeLink> link = std::make_shared<FakeLink>();
  RecordingDurableState durable;
  std::shared_ptr<DurableGate> gate = std::make_shared<DurableGate>(link, durable);

  // A report, as a handler would make one; returns its ticket.
  DurableState::Ticket report() {
    durable.add_inbound_qos2("c", 1);
    return durable.last_ticket();
  }
  std::vector<std::uint8_t> first_bytes() const {
    std::vector<std::uint8_t> out;
    for (const auto& b : link->sent()) out.push_back(b->front());
    return out;
  }
};

TEST_F(DurableGateTest, ForwardsAtOnceWhenNothingIsHeld) {
  gate->send(bytes_of(1));
  EXPECT_EQ(link->sent().size(), 1U);
}

TEST_F(DurableGateTest, HoldsBytesUntilTheirTicketCommitsAndKeepsTheOrder) {
  const auto t1 = report();
  gate->hold_until(t1);
  gate->send(bytes_of(1, 10));
  const auto t2 = report();
  gate->hold_until(t2);
  gate->send(bytes_of(2, 5));
  EXPECT_TRUE(link->sent().empty());
  EXPECT_EQ(gate->queued_bytes(), 15U);

  durable.commit(t1);
  EXPECT_EQ(first_bytes(), (std::vector<std::uint8_t>{1}));
  EXPECT_EQ(gate->queued_bytes(), 5U);
  gate->send(bytes_of(3));  // behind the held one, even though it waits for nothing new
  durable.commit(t2);
  EXPECT_EQ(first_bytes(), (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_EQ(gate->held_count(), 0U);
  gate->send(bytes_of(4));
  EXPECT_EQ(first_bytes(), (std::vector<std::uint8_t>{1, 2, 3, 4}));
}

TEST_F(DurableGateTest, AnAlreadyCommittedTicketHoldsNothing) {
  const auto t1 = report();
  durable.commit(t1);
  gate->hold_until(t1);
  gate->send(bytes_of(1));
  EXPECT_EQ(link->sent().size(), 1U);
  EXPECT_EQ(durable.pending_callbacks(), 0U);
}

TEST_F(DurableGateTest, CloseWaitsUntilTheHeldBytesAreForwarded) {
  gate->hold_until(report());
  gate->send(bytes_of(1));
  gate->close();
  EXPECT_FALSE(link->closed());
  durable.commit_all();
  EXPECT_EQ(link->sent().size(), 1U);
  EXPECT_TRUE(link->closed());
}

TEST_F(DurableGateTest, ACommitAfterTheGateIsGoneIsHarmless) {
  gate->hold_until(report());
  gate->send(bytes_of(1));
  gate.reset();
  durable.commit_all();
  EXPECT_TRUE(link->sent().empty());
}

TEST_F(DurableGateTest, CommitsFromAWriterThreadWhileSendingKeepTheOrder) {
  constexpr int count = 500;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done.load() && std::chrono::steady_clock::now() < deadline) {
      durable.commit(durable.last_ticket());
    }
  });
  for (int i = 0; i < count; ++i) {
    gate->hold_until(report());
    gate->send(bytes_of(static_cast<std::uint8_t>(i % 256)));
  }
  done = true;
  writer.join();
  durable.commit_all();
  const auto got = first_bytes();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i % 256);
}

}  // namespace
}  // namespace arkmq::core::test
