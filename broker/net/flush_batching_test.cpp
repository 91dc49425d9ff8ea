// Cross-worker delivery batching (Worker::request_flush) and the write path: sends from one
// worker to connections on another keep their order, need one post per destination worker per
// loop pass, survive a connection closed in the middle of a batch, and a burst larger than one
// write arrives whole; a peer that stops reading stops counting as draining.
#include <gtest/gtest.h>

#include <cstring>

#include "broker/net/connection.hpp"
#include "broker/net/server.hpp"
#include "broker/net/test_support.hpp"
#include "broker/net/weak_link.hpp"

namespace arkmq::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// A 4-byte big-endian sequence number padded to `size` bytes.
core::SharedBytes numbered(std::uint32_t n, std::size_t size = 4) {
  auto bytes = std::make_shared<std::vector<std::uint8_t>>(size, 0);
  (*bytes)[0] = static_cast<std::uint8_t>(n >> 24U);
  (*bytes)[1] = static_cast<std::uint8_t>(n >> 16U);
  (*bytes)[2] = static_cast<std::uint8_t>(n >> 8U);
  (*bytes)[3] = static_cast<std::uint8_t>(n);
  return bytes;
}

std::uint32_t number_at(const std::vector<std::uint8_t>& data, std::size_t at) {
  return (static_cast<std::uint32_t>(data[at]) << 24U) |
         (static_cast<std::uint32_t>(data[at + 1]) << 16U) |
         (static_cast<std::uint32_t>(data[at + 2]) << 8U) | data[at + 3];
}

ServerOptions two_workers() {
  ServerOptions options;
  options.listeners.push_back({"mqtt://127.0.0.1:0", {}, {}});
  options.workers = 2;
  return options;
}

std::shared_ptr<Connection> connection_of(const std::shared_ptr<core::ClientLink>& link) {
  auto* weak = dynamic_cast<WeakLink*>(link.get());
  return weak != nullptr ? weak->lock() : nullptr;
}

// Connects `count` clients (round robin: even ones on worker 0, odd ones on worker 1) and waits
// until the server created every handler, so the links are known before anything is sent.
class BatchingTest : public ::testing::Test {
 protected:
  void start(Recorder::Action action, std::size_t count, ServerOptions options = two_workers()) {
    recorder_ = std::make_unique<Recorder>(std::move(action));
    server_ = std::make_unique<Server>(options, recording_factory(*recorder_));
    ASSERT_TRUE(server_->start());
    for (std::size_t i = 0; i < count; ++i) {
      clients_.push_back(std::make_unique<TcpClient>());
      ASSERT_TRUE(clients_.back()->connect(port_of(server_->bound_urls().at(0))));
      ASSERT_TRUE(recorder_->wait([&](const Recorder& r) { return r.links_.size() == i + 1; }));
    }
  }
  std::shared_ptr<core::ClientLink> link(std::size_t i) { return recorder_->links_.at(i); }

  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<Server> server_;
  std::vector<std::unique_ptr<TcpClient>> clients_;
};

TEST_F(BatchingTest, SendsToAnotherWorkerKeepTheirOrderAndNeedOnePostPerPass) {
  constexpr std::uint32_t kMessages = 5000;
  std::vector<std::shared_ptr<core::ClientLink>> targets;
  start([&](std::span<const std::uint8_t>, core::ClientLink&) {
    // One handler call on worker 0: 5000 sends to each of two connections on worker 1.
    for (std::uint32_t n = 0; n < kMessages; ++n) {
      for (auto& target : targets) target->send(numbered(n));
    }
  }, 3);
  targets = {link(1)};
  // Client 2 is on worker 0 with the sender: its flush runs at the end of the same pass.
  targets.push_back(link(2));
  const auto posts_before = server_->worker(0).outbox_posts();
  ASSERT_TRUE(clients_[0]->write(bytes_of("go")));
  for (const std::size_t c : {1U, 2U}) {
    const auto got = clients_[c]->read(kMessages * 4);
    ASSERT_EQ(got.size(), kMessages * 4) << "client " << c;
    for (std::uint32_t n = 0; n < kMessages; ++n) {
      ASSERT_EQ(number_at(got, n * 4), n) << "client " << c << " order";
    }
  }
  // Every send to worker 1 in that pass went out in one post (the first send only; the others
  // found their connection's flush already requested).
  // ("go" arrives in one read, so one pass; two if the kernel split it.)
  const auto posts = server_->worker(0).outbox_posts() - posts_before;
  EXPECT_GE(posts, 1U);
  EXPECT_LE(posts, 2U);
  EXPECT_LT(connection_of(link(1))->writes_started(), 5U);
}

TEST_F(BatchingTest, AConnectionClosedInTheMiddleOfABatchDoesNotDisturbTheOthers) {
  constexpr std::uint32_t kMessages = 200;
  std::shared_ptr<core::ClientLink> closing;
  std::shared_ptr<core::ClientLink> other;
  start([&](std::span<const std::uint8_t>, core::ClientLink&) {
    for (std::uint32_t n = 0; n < kMessages; ++n) {
      closing->send(numbered(n));
      other->send(numbered(n));
      if (n == kMessages / 2) closing->close();  // its close is posted before the batch
    }
  }, 4);
  closing = link(1);
  other = link(3);
  ASSERT_TRUE(clients_[0]->write(bytes_of("go")));
  const auto got = clients_[3]->read(kMessages * 4);
  ASSERT_EQ(got.size(), kMessages * 4);
  for (std::uint32_t n = 0; n < kMessages; ++n) ASSERT_EQ(number_at(got, n * 4), n);
  // The closed one got an in-order prefix (at least what was sent before close()), then EOF.
  std::vector<std::uint8_t> closed_got;
  EXPECT_TRUE(clients_[1]->read_to_end(closed_got, 5s));
  ASSERT_GE(closed_got.size(), (kMessages / 2 + 1) * 4);
  ASSERT_EQ(closed_got.size() % 4, 0U);
  for (std::size_t n = 0; n < closed_got.size() / 4; ++n) {
    ASSERT_EQ(number_at(closed_got, n * 4), n);
  }
  EXPECT_TRUE(recorder_->wait([](const Recorder& r) { return r.closed_ == 1; }));
}

TEST_F(BatchingTest, ABurstLargerThanOneWriteArrivesWholeInOrderInSeveralWrites) {
  constexpr std::uint32_t kMessages = 30000;  // 3 MB: several writes of at most 256 KiB
  constexpr std::size_t kSize = 100;
  std::shared_ptr<core::ClientLink> target;
  start([&](std::span<const std::uint8_t>, core::ClientLink&) {
    for (std::uint32_t n = 0; n < kMessages; ++n) target->send(numbered(n, kSize));
  }, 2);
  target = link(1);
  ASSERT_TRUE(clients_[0]->write(bytes_of("go")));
  const auto got = clients_[1]->read(kMessages * kSize, 10s);
  ASSERT_EQ(got.size(), kMessages * kSize);
  for (std::uint32_t n = 0; n < kMessages; ++n) ASSERT_EQ(number_at(got, n * kSize), n);
  EXPECT_GE(connection_of(target)->writes_started(), kMessages * kSize / (256 * 1024));
  EXPECT_TRUE(recorder_->wait([&](const Recorder&) { return target->queued_bytes() == 0; }));
}

TEST_F(BatchingTest, APeerThatStopsReadingStopsDrainingAndDrainsAgainWhenItReads) {
  constexpr std::size_t kTotal = 16 * 1024 * 1024;  // far more than the socket buffers hold
  auto options = two_workers();
  options.tick_interval = 20ms;
  start([](std::span<const std::uint8_t>, core::ClientLink& self) {
    for (std::size_t sent = 0; sent < kTotal; sent += 64 * 1024) {
      self.send(std::make_shared<const std::vector<std::uint8_t>>(64 * 1024, 5));
    }
  }, 1, options);
  auto self = link(0);
  EXPECT_TRUE(self->is_draining());
  ASSERT_TRUE(clients_[0]->write(bytes_of("go")));  // and then reads nothing
  EXPECT_TRUE(recorder_->wait([&](const Recorder&) { return !self->is_draining(); }, 5s));
  EXPECT_GT(self->queued_bytes(), 0U);
  const auto got = clients_[0]->read(kTotal, 20s);
  EXPECT_EQ(got.size(), kTotal);
  EXPECT_TRUE(recorder_->wait([&](const Recorder&) { return self->is_draining(); }, 5s));
}

}  // namespace
}  // namespace arkmq::net
