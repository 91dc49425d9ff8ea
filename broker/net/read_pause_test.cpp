// Flow control in the net layer: a handler's read_paused_until() stops the read loop until that
// time, bytes already read are never lost or reordered, and a paused connection still closes.
#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "broker/net/connection.hpp"
#include "broker/net/server.hpp"
#include "broker/net/test_support.hpp"
#include "broker/net/weak_link.hpp"

namespace arkmq::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// Decides, after each on_bytes (and with the bytes seen so far), until when reading pauses.
using PausePolicy = std::function<std::optional<Clock::time_point>(std::size_t calls,
                                                                   Clock::time_point now)>;

// What the pausing handlers saw: the arrival time of every non-empty chunk, empty calls.
struct PauseLog {
  std::mutex mutex;
  std::vector<Clock::time_point> chunk_times;
  std::vector<std::optional<Clock::time_point>> pauses;  // read_paused_until after each chunk
  int empty_calls = 0;
};

class PausingHandler final : public ConnectionHandler {
 public:
  PausingHandler(Recorder& recorder, PauseLog& log, PausePolicy policy,
                 std::shared_ptr<core::ClientLink> link)
      : recorder_(recorder), log_(log), policy_(std::move(policy)), link_(std::move(link)) {}

  void on_bytes(std::span<const std::uint8_t> data, Clock::time_point now) override {
    {
      std::lock_guard lock(log_.mutex);
      if (data.empty()) {
        ++log_.empty_calls;
      } else {
        log_.chunk_times.push_back(now);
      }
    }
    if (!data.empty()) {
      ++calls_;
      paused_until_ = policy_(calls_, now);
      std::lock_guard lock(log_.mutex);
      log_.pauses.push_back(paused_until_);
    } else if (paused_until_ && *paused_until_ <= now) {
      paused_until_.reset();
    }
    recorder_.on_bytes(data, *link_);
  }
  void on_tick(Clock::time_point) override {}
  void on_transport_closed() override { recorder_.on_closed(); }
  bool is_closing() const override { return false; }
  std::optional<Clock::time_point> read_paused_until() const override { return paused_until_; }

 private:
  Recorder& recorder_;
  PauseLog& log_;
  PausePolicy policy_;
  std::shared_ptr<core::ClientLink> link_;
  std::size_t calls_ = 0;
  std::optional<Clock::time_point> paused_until_;
};

HandlerFactory pausing_factory(Recorder& recorder, PauseLog& log, PausePolicy policy) {
  return [&recorder, &log, policy](core::ConnectionInfo info,
                                   std::shared_ptr<core::ClientLink> link) {
    recorder.on_created(info, link);
    return std::make_unique<PausingHandler>(recorder, log, policy, std::move(link));
  };
}

ServerOptions one_worker() {
  ServerOptions options;
  options.listeners.push_back({"mqtt://127.0.0.1:0", {}, {}});
  options.workers = 1;
  return options;
}

TEST(ReadPause, NoReadHappensBeforeThePauseEndsThenReadingResumes) {
  constexpr auto kPause = 300ms;
  Recorder recorder([](std::span<const std::uint8_t>, core::ClientLink&) {});
  PauseLog log;
  Server server(one_worker(), pausing_factory(recorder, log, [&](std::size_t calls, Clock::time_point now) {
                  return calls == 1 ? std::optional(now + kPause) : std::nullopt;
                }));
  ASSERT_TRUE(server.start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
  ASSERT_TRUE(client.write(bytes_of("first")));
  ASSERT_TRUE(recorder.wait([](const Recorder& r) { return r.received_.size() == 5; }));
  // Sent while the connection is paused: it stays in the kernel until the pause ends.
  ASSERT_TRUE(client.write(bytes_of("second")));
  ASSERT_TRUE(recorder.wait([](const Recorder& r) { return r.received_.size() == 11; }, 5s));

  std::lock_guard lock(log.mutex);
  ASSERT_GE(log.chunk_times.size(), 2U);
  ASSERT_TRUE(log.pauses.at(0).has_value());
  EXPECT_GE(log.chunk_times.at(1), *log.pauses.at(0)) << "bytes were read during the pause";
  EXPECT_EQ(log.empty_calls, 1) << "the handler gets one empty on_bytes when the pause ends";
  EXPECT_EQ(recorder.received_, bytes_of("firstsecond"));
}

TEST(ReadPause, RepeatedPausesLoseAndReorderNothing) {
  constexpr std::size_t kTotal = 512 * 1024;
  Recorder recorder([](std::span<const std::uint8_t>, core::ClientLink&) {});
  PauseLog log;
  // A short pause after every 8th chunk: many pauses, and bytes arriving across them.
  Server server(one_worker(), pausing_factory(recorder, log, [](std::size_t calls, Clock::time_point now) {
                  return calls % 8 == 1 ? std::optional(now + 5ms) : std::nullopt;
                }));
  ASSERT_TRUE(server.start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
  std::vector<std::uint8_t> sent(kTotal);
  for (std::size_t i = 0; i < kTotal; ++i) {
    sent[i] = static_cast<std::uint8_t>((i * 31 + i / 251) & 0xFFU);
  }
  ASSERT_TRUE(client.write(sent, 20s));
  ASSERT_TRUE(recorder.wait([](const Recorder& r) { return r.received_.size() == kTotal; }, 20s));
  EXPECT_EQ(recorder.received_, sent);
  auto* link = dynamic_cast<WeakLink*>(recorder.links_.at(0).get());
  ASSERT_NE(link, nullptr);
  auto connection = link->lock();
  ASSERT_NE(connection, nullptr);
  EXPECT_GE(connection->read_pauses(), 1U);
}

TEST(ReadPause, APausedConnectionPushesBackOnTheWriter) {
  Recorder recorder([](std::span<const std::uint8_t>, core::ClientLink&) {});
  PauseLog log;
  // Paused for far longer than the test: whatever the client writes after the first chunk can
  // only fill the socket buffers.
  Server server(one_worker(), pausing_factory(recorder, log, [](std::size_t, Clock::time_point now) {
                  return std::optional(now + 1h);
                }));
  ASSERT_TRUE(server.start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
  ASSERT_TRUE(client.write(bytes_of("x")));
  ASSERT_TRUE(recorder.wait([](const Recorder& r) { return r.received_.size() == 1; }));
  // 64 MiB is far beyond loopback socket buffers: the write cannot finish while paused.
  const std::vector<std::uint8_t> flood(64 * 1024 * 1024, 0x5A);
  EXPECT_FALSE(client.write(flood, 1s)) << "the write completed: reading was not paused";
  EXPECT_TRUE(recorder.wait([](const Recorder& r) { return r.received_.size() == 1; }, 0ms))
      << "bytes were handed to the handler during the pause";
}

TEST(ReadPause, APausedConnectionStillClosesWhenTheHandlerAsks) {
  Recorder recorder([](std::span<const std::uint8_t>, core::ClientLink& link) { link.close(); });
  PauseLog log;
  Server server(one_worker(), pausing_factory(recorder, log, [](std::size_t, Clock::time_point now) {
                  return std::optional(now + 1h);
                }));
  ASSERT_TRUE(server.start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
  ASSERT_TRUE(client.write(bytes_of("bye")));
  // The handler asked to close while paused: the close sequence ends the stream, and the
  // hour-long pause timer does not keep the connection alive.
  std::vector<std::uint8_t> rest;
  EXPECT_TRUE(client.read_to_end(rest, 5s));
  EXPECT_TRUE(recorder.wait([](const Recorder& r) { return r.closed_ == 1; }, 5s));
  // The peer answers our FIN with its own, as a real client does; the connection then ends on
  // that FIN. (Waiting with the client still open would race the 5 s close timer.)
  std::error_code ignored;
  client.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  EXPECT_TRUE(recorder.wait([&](const Recorder&) { return server.connection_count() == 0; }, 10s));
}

TEST(ReadPause, ServerStopsPromptlyWithAPausedConnection) {
  Recorder recorder([](std::span<const std::uint8_t>, core::ClientLink&) {});
  PauseLog log;
  auto server = std::make_unique<Server>(
      one_worker(), pausing_factory(recorder, log, [](std::size_t, Clock::time_point now) {
        return std::optional(now + 1h);
      }));
  ASSERT_TRUE(server->start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server->bound_urls().at(0))));
  ASSERT_TRUE(client.write(bytes_of("x")));
  ASSERT_TRUE(recorder.wait([](const Recorder& r) { return r.received_.size() == 1; }));
  recorder.release_links();
  const auto started = Clock::now();
  server->stop();
  EXPECT_LT(Clock::now() - started, 4s) << "the pause timer held the stop sequence";
  EXPECT_EQ(recorder.closed_, 1);
}

}  // namespace
}  // namespace arkmq::net
