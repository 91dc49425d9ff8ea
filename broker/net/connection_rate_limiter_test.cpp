// ConnectionRateLimiter with a fake clock (sliding window, bans and their expiry, the bounded
// address table), and the listener refusing a banned address before any byte over loopback.
#include "broker/net/connection_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "broker/net/server.hpp"
#include "broker/net/test_support.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::net {
namespace {

using namespace std::chrono_literals;
using Verdict = ConnectionRateLimiter::Verdict;

ConnectionRateLimiter::Clock::time_point t0() {
  return ConnectionRateLimiter::Clock::time_point{} + 1000h;
}

ConnectionRateSettings settings(std::size_t max, std::chrono::seconds window,
                                std::chrono::seconds ban, std::size_t tracked = 100) {
  return ConnectionRateSettings{max, window, ban, tracked};
}

TEST(ConnectionRateLimiter, AllowsUpToTheLimitWithinTheWindowThenBans) {
  ConnectionRateLimiter limiter(settings(5, 10s, 60s));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(limiter.on_attempt("10.0.0.1", t0() + i * 100ms).verdict, Verdict::allow) << i;
  }
  const auto sixth = limiter.on_attempt("10.0.0.1", t0() + 600ms);
  EXPECT_EQ(sixth.verdict, Verdict::banned_now);
  EXPECT_EQ(sixth.attempts, 6U);
  EXPECT_EQ(limiter.on_attempt("10.0.0.1", t0() + 700ms).verdict, Verdict::banned);
  EXPECT_EQ(limiter.bans_total(), 1U);
  EXPECT_EQ(limiter.refused_total(), 2U);
  EXPECT_EQ(limiter.banned_addresses(t0() + 1s), 1U);
  EXPECT_EQ(limiter.ban_message("10.0.0.1", sixth),
            "banning 10.0.0.1 for 60 s: 6 connections in 10 s");
}

TEST(ConnectionRateLimiter, OtherAddressesAreNotAffectedByABan) {
  ConnectionRateLimiter limiter(settings(2, 10s, 60s));
  for (int i = 0; i < 3; ++i) limiter.on_attempt("10.0.0.1", t0());
  EXPECT_EQ(limiter.on_attempt("10.0.0.1", t0()).verdict, Verdict::banned);
  EXPECT_EQ(limiter.on_attempt("10.0.0.2", t0()).verdict, Verdict::allow);
}

TEST(ConnectionRateLimiter, ASteadyRateUnderTheLimitIsNeverBanned) {
  ConnectionRateLimiter limiter(settings(10, 10s, 60s));
  // 9 per 10 s for five minutes: every sliding window holds at most 9 (+ rounding of 0).
  for (int i = 0; i < 270; ++i) {
    ASSERT_EQ(limiter.on_attempt("10.0.0.1", t0() + i * 1111ms).verdict, Verdict::allow) << i;
  }
  EXPECT_EQ(limiter.bans_total(), 0U);
}

TEST(ConnectionRateLimiter, TheWindowSlidesAcrossFixedWindowEdges) {
  ConnectionRateLimiter limiter(settings(5, 10s, 60s));
  // 5 at the end of one fixed window, 5 at the start of the next: 10 within one second.
  for (int i = 0; i < 5; ++i) limiter.on_attempt("10.0.0.1", t0() + 9500ms);
  EXPECT_EQ(limiter.on_attempt("10.0.0.1", t0() + 10100ms).verdict, Verdict::banned_now);
}

TEST(ConnectionRateLimiter, BanExpiresAndTheAddressStartsAfresh) {
  ConnectionRateLimiter limiter(settings(3, 10s, 2s));
  for (int i = 0; i < 4; ++i) limiter.on_attempt("10.0.0.1", t0());
  EXPECT_EQ(limiter.on_attempt("10.0.0.1", t0() + 1999ms).verdict, Verdict::banned);
  EXPECT_EQ(limiter.on_attempt("10.0.0.1", t0() + 2s).verdict, Verdict::allow);
  EXPECT_EQ(limiter.banned_addresses(t0() + 2s), 0U);
  // A fresh count: the next two are allowed too, the fifth after the ban is a new ban.
  EXPECT_EQ(limiter.on_attempt("10.0.0.1", t0() + 2s).verdict, Verdict::allow);
  EXPECT_EQ(limiter.on_attempt("10.0.0.1", t0() + 2s).verdict, Verdict::allow);
  EXPECT_EQ(limiter.on_attempt("10.0.0.1", t0() + 2s).verdict, Verdict::banned_now);
  EXPECT_EQ(limiter.bans_total(), 2U);
}

TEST(ConnectionRateLimiter, ZeroMaximumDisablesTheLimit) {
  ConnectionRateLimiter limiter(settings(0, 10s, 60s));
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(limiter.on_attempt("10.0.0.1", t0()).verdict, Verdict::allow);
  }
  EXPECT_EQ(limiter.tracked_addresses(), 0U);
}

TEST(ConnectionRateLimiter, TheAddressTableIsBoundedAndForgetsTheLeastRecentlySeen) {
  ConnectionRateLimiter limiter(settings(1, 10s, 60s, 3));
  limiter.on_attempt("a", t0());
  limiter.on_attempt("b", t0());
  limiter.on_attempt("c", t0());
  limiter.on_attempt("a", t0());  // a is banned now and most recently seen
  limiter.on_attempt("d", t0());  // evicts b, the least recently seen
  EXPECT_EQ(limiter.tracked_addresses(), 3U);
  EXPECT_EQ(limiter.on_attempt("a", t0()).verdict, Verdict::banned);
  EXPECT_EQ(limiter.on_attempt("b", t0()).verdict, Verdict::allow) << "b was forgotten";
  for (int i = 0; i < 1000; ++i) limiter.on_attempt("x" + std::to_string(i), t0());
  EXPECT_EQ(limiter.tracked_addresses(), 3U);
}

TEST(ListenerConnectionRate, BannedAddressIsClosedAtAcceptWithoutReachingAHandler) {
  testing::Recorder recorder;
  ServerOptions options;
  options.listeners.push_back({"mqtt://127.0.0.1:0", {}, {}});
  options.workers = 1;
  options.connection_rate = std::make_shared<ConnectionRateLimiter>(settings(3, 60s, 60s));
  std::mutex mutex;
  std::vector<std::string> bans;
  options.on_ban = [&](const core::ConnectionInfo& info, std::string_view message) {
    std::lock_guard lock(mutex);
    bans.push_back(info.peer + " " + std::string(message));
  };
  Server server(options, testing::recording_factory(recorder));
  ASSERT_TRUE(server.start());
  const auto port = testing::port_of(server.bound_urls().at(0));
  for (int i = 0; i < 3; ++i) {
    testing::TcpClient client;
    ASSERT_TRUE(client.connect(port));
    ASSERT_TRUE(client.write(testing::bytes_of("hi")));
    EXPECT_EQ(client.read(2), testing::bytes_of("hi")) << i;
  }
  for (int i = 0; i < 3; ++i) {
    testing::TcpClient client;
    ASSERT_TRUE(client.connect(port));  // the kernel accepts; the listener closes it at once
    std::vector<std::uint8_t> got;
    EXPECT_TRUE(client.read_to_end(got, 5s)) << "banned connection " << i << " was not closed";
    EXPECT_TRUE(got.empty());
  }
  EXPECT_TRUE(recorder.wait([](const testing::Recorder& r) { return r.infos_.size() == 3U; }, 0ms))
      << "a banned connection reached the handler factory";
  EXPECT_EQ(options.connection_rate->bans_total(), 1U);
  EXPECT_EQ(options.connection_rate->refused_total(), 3U);
  std::lock_guard lock(mutex);
  ASSERT_EQ(bans.size(), 1U);
  EXPECT_TRUE(bans[0].starts_with("127.0.0.1:")) << bans[0];
  EXPECT_NE(bans[0].find("banning 127.0.0.1 for 60 s: 4 connections in 60 s"), std::string::npos)
      << bans[0];
}

TEST(ListenerConnectionRate, BannedAddressGetsNoTlsHandshake) {
  std::unique_ptr<test::TestPki> pki;
  ASSERT_NO_THROW(pki = std::make_unique<test::TestPki>());
  TlsSettings tls;
  tls.cert_file = pki->server().cert;
  tls.key_file = pki->server().key;
  tls.ca_file = pki->ca();
  testing::Recorder recorder;
  ServerOptions options;
  options.listeners.push_back({"mqtts://127.0.0.1:0", tls, {}});
  options.workers = 1;
  options.connection_rate = std::make_shared<ConnectionRateLimiter>(settings(1, 60s, 60s));
  std::atomic<int> tls_failures{0};
  options.on_tls_failure = [&](const core::ConnectionInfo&, std::string_view) { ++tls_failures; };
  Server server(options, testing::recording_factory(recorder));
  ASSERT_TRUE(server.start());
  const auto port = testing::port_of(server.bound_urls().at(0));
  testing::TlsClientOptions client_options;
  client_options.ca = pki->ca();
  {
    testing::TlsClient first(client_options);
    EXPECT_FALSE(first.connect(port)) << "the first connection is within the limit";
  }
  testing::TlsClient banned(client_options);
  EXPECT_TRUE(banned.connect(port)) << "a banned address must not complete a handshake";
  EXPECT_EQ(options.connection_rate->refused_total(), 1U);
  // Closed before the handshake: no TLS failure is reported for it, no handler is created.
  EXPECT_EQ(tls_failures.load(), 0);
  EXPECT_TRUE(recorder.wait([](const testing::Recorder& r) { return !r.infos_.empty(); }, 5s));
  EXPECT_EQ(recorder.infos().size(), 1U) << "the banned connection reached the handler factory";
}

}  // namespace
}  // namespace arkmq::net
