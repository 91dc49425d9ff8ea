// Connections over real loopback TCP with a recording handler: echo, write coalescing, close with
// flush, slow consumers, ticks and the server's stop sequence.
#include "broker/net/connection.hpp"

#include <gtest/gtest.h>

#include "broker/net/server.hpp"
#include "broker/net/test_support.hpp"
#include "broker/net/weak_link.hpp"

namespace arkmq::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

ServerOptions plain_options() {
  ServerOptions options;
  options.listeners.push_back({"mqtt://127.0.0.1:0", {}, {}});
  options.workers = 2;
  return options;
}

core::SharedBytes block(std::size_t size, std::uint8_t fill) {
  return std::make_shared<const std::vector<std::uint8_t>>(size, fill);
}

TEST(Connection, EchoesBytesThroughTheHandlerOverTcp) {
  Recorder recorder;
  Server server(plain_options(), recording_factory(recorder));
  ASSERT_TRUE(server.start());
  const auto url = server.bound_urls().at(0);
  EXPECT_TRUE(url.starts_with("mqtt://127.0.0.1:"));
  EXPECT_NE(port_of(url), 0);

  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(url)));
  ASSERT_TRUE(client.write(bytes_of("hello")));
  EXPECT_EQ(client.read(5), bytes_of("hello"));

  auto infos = recorder.infos();
  ASSERT_EQ(infos.size(), 1U);
  EXPECT_EQ(infos[0].listener, url);
  EXPECT_FALSE(infos[0].tls);
  EXPECT_TRUE(infos[0].peer.starts_with("127.0.0.1:")) << infos[0].peer;
  EXPECT_FALSE(infos[0].certificate_principal);
}

TEST(Connection, ListenerPolicyReachesTheConnectionInfo) {
  Recorder recorder;
  ServerOptions options;
  options.listeners.push_back({"mqtt://127.0.0.1:0", {}, core::ListenerPolicy{true, false}});
  options.listeners.push_back({"mqtt://127.0.0.1:0", {}, core::ListenerPolicy{false, false}});
  options.workers = 1;
  Server server(options, recording_factory(recorder));
  ASSERT_TRUE(server.start());
  for (const int which : {0, 1}) {
    TcpClient client;
    ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(static_cast<std::size_t>(which)))));
    ASSERT_TRUE(client.write(bytes_of("hi")));
    EXPECT_EQ(client.read(2), bytes_of("hi"));
  }
  const auto infos = recorder.infos();
  ASSERT_EQ(infos.size(), 2U);
  EXPECT_TRUE(infos[0].policy.allow_anonymous);
  EXPECT_FALSE(infos[1].policy.allow_anonymous);
  EXPECT_FALSE(infos[0].policy.require_password);
}

TEST(Connection, ManySendsAreCoalescedIntoFewerWrites) {
  constexpr int kSends = 200;
  Recorder recorder([](std::span<const std::uint8_t>, core::ClientLink& link) {
    for (int i = 0; i < kSends; ++i) {
      link.send(block(10, static_cast<std::uint8_t>(i)));
    }
  });
  Server server(plain_options(), recording_factory(recorder));
  ASSERT_TRUE(server.start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
  ASSERT_TRUE(client.write(bytes_of("x")));
  const auto got = client.read(kSends * 10);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kSends * 10));
  for (int i = 0; i < kSends; ++i) {
    ASSERT_EQ(got[static_cast<std::size_t>(i) * 10], static_cast<std::uint8_t>(i)) << "order";
  }
  auto* link = dynamic_cast<WeakLink*>(recorder.links_.at(0).get());
  ASSERT_NE(link, nullptr);
  auto connection = link->lock();
  ASSERT_NE(connection, nullptr);
  EXPECT_LT(connection->writes_started(), 5U);
  EXPECT_GE(connection->writes_started(), 1U);
}

TEST(Connection, CloseFlushesPendingBytesThenEndsTheStream) {
  constexpr std::size_t kTotal = 4 * 1024 * 1024;
  Recorder recorder([](std::span<const std::uint8_t>, core::ClientLink& link) {
    for (std::size_t sent = 0; sent < kTotal; sent += 64 * 1024) {
      link.send(block(64 * 1024, 7));
    }
    link.close();
  });
  Server server(plain_options(), recording_factory(recorder));
  ASSERT_TRUE(server.start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
  ASSERT_TRUE(client.write(bytes_of("go")));
  std::vector<std::uint8_t> got;
  ASSERT_TRUE(client.read_to_end(got, 10s));
  EXPECT_EQ(got.size(), kTotal);
  EXPECT_EQ(client.last_error(), asio::error::eof);
  EXPECT_TRUE(recorder.wait([](const Recorder& r) { return r.closed_ == 1; }));
}

TEST(Connection, TransportClosedIsReportedExactlyOnceWhenThePeerLeaves) {
  Recorder recorder;
  Server server(plain_options(), recording_factory(recorder));
  ASSERT_TRUE(server.start());
  {
    TcpClient client;
    ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
    ASSERT_TRUE(client.write(bytes_of("hi")));
    EXPECT_EQ(client.read(2), bytes_of("hi"));
  }
  EXPECT_TRUE(recorder.wait([](const Recorder& r) { return r.closed_ >= 1; }));
  server.stop();
  EXPECT_EQ(recorder.closed_, 1);
}

TEST(Connection, PeerThatCannotKeepUpIsDropped) {
  constexpr std::size_t kTotal = 8 * 1024 * 1024;
  Recorder recorder([](std::span<const std::uint8_t>, core::ClientLink& link) {
    for (std::size_t sent = 0; sent < kTotal; sent += 64 * 1024) {
      link.send(block(64 * 1024, 1));
    }
  });
  auto options = plain_options();
  options.limits.max_queued_bytes = 1024 * 1024;
  Server server(options, recording_factory(recorder));
  ASSERT_TRUE(server.start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
  ASSERT_TRUE(client.write(bytes_of("go")));
  EXPECT_TRUE(recorder.wait([](const Recorder& r) { return r.closed_ == 1; }));
  std::vector<std::uint8_t> got;
  EXPECT_TRUE(client.read_to_end(got, 5s));
  EXPECT_LT(got.size(), kTotal);
}

TEST(Connection, WorkerTimerTicksEveryHandler) {
  Recorder recorder;
  auto options = plain_options();
  options.tick_interval = 20ms;
  Server server(options, recording_factory(recorder));
  ASSERT_TRUE(server.start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
  EXPECT_TRUE(recorder.wait([](const Recorder& r) { return r.ticks_ >= 3; }));
}

TEST(Connection, QueuedBytesCountsWhatIsNotYetWritten) {
  Recorder recorder([](std::span<const std::uint8_t>, core::ClientLink& link) {
    link.send(block(1000, 1));
    link.send(block(24, 2));
    // Both sit in the queue until this handler returns and the flush runs.
    EXPECT_EQ(link.queued_bytes(), 1024U);
  });
  Server server(plain_options(), recording_factory(recorder));
  ASSERT_TRUE(server.start());
  TcpClient client;
  ASSERT_TRUE(client.connect(port_of(server.bound_urls().at(0))));
  ASSERT_TRUE(client.write(bytes_of("x")));
  EXPECT_EQ(client.read(1024).size(), 1024U);
  EXPECT_TRUE(recorder.wait([](const Recorder& r) { return r.links_.at(0)->queued_bytes() == 0; }));
}

TEST(Server, StopRunsTheShutdownHookAndClosesEveryConnection) {
  Recorder recorder;
  Server server(plain_options(), recording_factory(recorder));
  ASSERT_TRUE(server.start());
  TcpClient first;
  TcpClient second;
  ASSERT_TRUE(first.connect(port_of(server.bound_urls().at(0))));
  ASSERT_TRUE(second.connect(port_of(server.bound_urls().at(0))));
  ASSERT_TRUE(recorder.wait([](const Recorder& r) { return r.infos_.size() == 2; }));

  bool hook_ran = false;
  server.stop([&] {
    hook_ran = true;
    recorder.links_.at(0)->send(block(3, 9));  // a goodbye that must still be flushed
  });
  EXPECT_TRUE(hook_ran);
  EXPECT_EQ(recorder.closed_, 2);
  EXPECT_EQ(server.connection_count(), 0U);
  std::vector<std::uint8_t> got;
  EXPECT_TRUE(first.read_to_end(got, 2s));
  EXPECT_EQ(got.size(), 3U);
}

TEST(Server, StartFailsWithAClearErrorWhenThePortIsTaken) {
  Recorder recorder;
  Server first(plain_options(), recording_factory(recorder));
  ASSERT_TRUE(first.start());
  ServerOptions options;
  options.listeners.push_back({first.bound_urls().at(0), {}, {}});
  options.workers = 1;
  Server second(options, recording_factory(recorder));
  auto started = second.start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().find("cannot bind"), std::string::npos) << started.error();
}

TEST(Server, BindsEachListenerAndReportsItsUrl) {
  Recorder recorder;
  auto options = plain_options();
  options.listeners.push_back({"mqtt://127.0.0.1:0", {}, {}});
  Server server(options, recording_factory(recorder));
  ASSERT_TRUE(server.start());
  const auto urls = server.bound_urls();
  ASSERT_EQ(urls.size(), 2U);
  EXPECT_NE(urls[0], urls[1]);
  for (const auto& url : urls) {
    TcpClient client;
    ASSERT_TRUE(client.connect(port_of(url)));
    ASSERT_TRUE(client.write(bytes_of("ok")));
    EXPECT_EQ(client.read(2), bytes_of("ok"));
  }
}

}  // namespace
}  // namespace arkmq::net
