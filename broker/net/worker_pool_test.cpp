// WorkerPool: round-robin assignment and the connection count that stop() waits on.
#include "broker/net/worker_pool.hpp"

#include <future>

#include <asio/post.hpp>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

namespace arkmq::net {
namespace {

using namespace std::chrono_literals;

TEST(WorkerPool, AssignsWorkersRoundRobin) {
  WorkerPool pool(3, 1s, spdlog::default_logger());
  ASSERT_EQ(pool.size(), 3U);
  std::vector<std::size_t> order;
  for (int i = 0; i < 7; ++i) {
    order.push_back(pool.next().index());
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(WorkerPool, ZeroThreadsMeansOnePerCpuTheProcessMayRunOn) {
  WorkerPool pool(0, 1s, spdlog::default_logger());
  EXPECT_EQ(pool.size(), available_cpus());
  EXPECT_GE(available_cpus(), 1U);
  EXPECT_LE(available_cpus(), std::max(1U, std::thread::hardware_concurrency()));
}

TEST(WorkerPool, EachWorkerRunsItsOwnThread) {
  WorkerPool pool(2, 1s, spdlog::default_logger());
  pool.start();
  std::promise<std::thread::id> first;
  std::promise<std::thread::id> second;
  asio::post(pool.at(0).context(), [&] { first.set_value(std::this_thread::get_id()); });
  asio::post(pool.at(1).context(), [&] { second.set_value(std::this_thread::get_id()); });
  auto a = first.get_future();
  auto b = second.get_future();
  ASSERT_EQ(a.wait_for(5s), std::future_status::ready);
  ASSERT_EQ(b.wait_for(5s), std::future_status::ready);
  EXPECT_NE(a.get(), b.get());
  pool.stop();
}

// The loop lag probe (ops-metrics): a blocked loop shows while it is blocked, and the lag falls
// back once the loop runs freely again.
TEST(Worker, LoopLagShowsABlockedLoopAndRecovers) {
  WorkerPool pool(1, 1s, spdlog::default_logger());
  pool.start();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  asio::post(pool.at(0).context(), [released] { released.wait_for(10s); });
  const auto poll_until = [&](auto condition) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!condition() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    return condition();
  };
  EXPECT_TRUE(poll_until([&] { return pool.at(0).loop_lag() >= 300ms; }));
  release.set_value();
  EXPECT_TRUE(poll_until([&] { return pool.at(0).loop_lag() < 250ms; }))
      << pool.at(0).loop_lag().count() << " us";
  pool.stop();
}

TEST(ConnectionCount, WaitForZeroReturnsWhenTheLastConnectionLeaves) {
  ConnectionCount count;
  count.increment();
  count.increment();
  EXPECT_FALSE(count.wait_for_zero(10ms));
  auto waiter = std::async(std::launch::async, [&] { return count.wait_for_zero(5s); });
  count.decrement();
  count.decrement();
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(count.value(), 0U);
}

}  // namespace
}  // namespace arkmq::net
