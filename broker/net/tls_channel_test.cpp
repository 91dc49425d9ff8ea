// The TLS channel under real connections: a peer that leaves mid-handshake or sends no TLS at
// all fails at once with OpenSSL's reason; a message larger than a record and than a read comes
// through whole; close_notify either way; a write that fills the socket resumes when the peer
// reads.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "broker/net/connection.hpp"
#include "broker/net/server.hpp"
#include "broker/net/test_support.hpp"
#include "broker/net/weak_link.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::net {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// A real ClientHello, made by a client SSL on memory BIOs (it needs no socket to produce one).
std::vector<std::uint8_t> client_hello() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);  // owned by ssl from here
  SSL_set_connect_state(ssl);
  (void)SSL_do_handshake(ssl);  // WANT_READ, with the ClientHello written to `out`
  std::vector<std::uint8_t> hello(static_cast<std::size_t>(BIO_ctrl_pending(out)));
  const int size = BIO_read(out, hello.data(), static_cast<int>(hello.size()));
  hello.resize(size > 0 ? static_cast<std::size_t>(size) : 0);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

// Byte i of a test message: not periodic in any power of two, so a lost, doubled or swapped
// chunk shows.
std::uint8_t pattern(std::size_t i) {
  return static_cast<std::uint8_t>((i * 7 + i / 251) & 0xFFU);
}

std::shared_ptr<Connection> connection_of(const std::shared_ptr<core::ClientLink>& link) {
  auto* weak = dynamic_cast<WeakLink*>(link.get());
  return weak != nullptr ? weak->lock() : nullptr;
}

class TlsChannelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_THROW(pki_ = std::make_unique<test::TestPki>()); }

  ServerOptions options(std::chrono::milliseconds handshake_timeout = 30s) {
    TlsSettings tls;
    tls.cert_file = pki_->server().cert;
    tls.key_file = pki_->server().key;
    ServerOptions options;
    options.listeners.push_back({"mqtts://127.0.0.1:0", std::move(tls), {}});
    options.workers = 1;
    options.handshake_timeout = handshake_timeout;
    options.on_tls_failure = [this](const core::ConnectionInfo&, std::string_view reason) {
      std::lock_guard lock(failures_mutex_);
      failures_.emplace_back(reason);
      failure_reported_.notify_all();
    };
    return options;
  }

  std::uint16_t start(ServerOptions options, Recorder::Action action = {}) {
    recorder_ = std::make_unique<Recorder>(std::move(action));
    server_ = std::make_unique<Server>(std::move(options), recording_factory(*recorder_));
    auto started = server_->start();
    EXPECT_TRUE(started) << (started ? "" : started.error());
    return started ? port_of(server_->bound_urls().at(0)) : 0;
  }

  // Waits (bounded) for the first handshake failure the server reported; "" if none came.
  std::string first_failure(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(failures_mutex_);
    failure_reported_.wait_for(lock, timeout, [&] { return !failures_.empty(); });
    return failures_.empty() ? std::string() : failures_.front();
  }

  TlsClientOptions client() const {
    TlsClientOptions options;
    options.ca = pki_->ca();
    return options;
  }

  std::unique_ptr<test::TestPki> pki_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<Server> server_;
  std::mutex failures_mutex_;
  std::condition_variable failure_reported_;
  std::vector<std::string> failures_;
};

TEST_F(TlsChannelTest, APeerLeavingMidHandshakeFailsAtOnceNotAtTheDeadline) {
  const auto port = start(options(30s));
  TcpClient peer;
  ASSERT_TRUE(peer.connect(port));
  ASSERT_TRUE(peer.write(client_hello()));
  // The server answered (ServerHello, a TLS handshake record) and now waits for our next flight.
  const auto answer = peer.read(5);
  ASSERT_EQ(answer.size(), 5U);
  EXPECT_EQ(answer[0], 0x16);
  peer.socket().close();

  const auto reason = first_failure(5s);  // far before the 30 s deadline
  EXPECT_FALSE(reason.empty()) << "no failure reported";
  EXPECT_EQ(reason.find("timed out"), std::string::npos) << reason;
  EXPECT_TRUE(recorder_->infos().empty());
}

TEST_F(TlsChannelTest, GarbageInsteadOfAClientHelloFailsWithTheReasonAndCloses) {
  const auto port = start(options(30s));
  TcpClient peer;
  ASSERT_TRUE(peer.connect(port));
  ASSERT_TRUE(peer.write(bytes_of("GET / HTTP/1.1\r\nHost: broker\r\n\r\n")));
  std::vector<std::uint8_t> rest;
  EXPECT_TRUE(peer.read_to_end(rest, 5s)) << "the server should close the socket";

  const auto reason = first_failure(5s);
  EXPECT_NE(reason.find("http request"), std::string::npos) << reason;
  EXPECT_TRUE(recorder_->infos().empty());
}

TEST_F(TlsChannelTest, AMessageLargerThanARecordAndThanAReadArrivesWholeAndInOrder) {
  constexpr std::size_t kSize = 300 * 1000;  // ~19 records of 16 KiB, 300 reads of 1000 bytes
  auto server_options = options();
  server_options.limits.read_buffer_bytes = 1000;  // a record never fits in one read
  const auto port = start(server_options);  // echoes
  TlsClient tls_client(client());
  ASSERT_FALSE(tls_client.connect(port));
  std::vector<std::uint8_t> message(kSize);
  for (std::size_t i = 0; i < kSize; ++i) message[i] = pattern(i);
  ASSERT_TRUE(tls_client.write(message, 10s));
  const auto echoed = tls_client.read(kSize, 10s);
  ASSERT_EQ(echoed.size(), kSize);
  EXPECT_TRUE(echoed == message) << "the echo differs from what was sent";
  EXPECT_TRUE(recorder_->wait([&](const Recorder& r) { return r.received_ == message; }));
}

TEST_F(TlsChannelTest, ThePeersCloseNotifyEndsTheConnectionExactlyOnce) {
  const auto port = start(options());
  TlsClient tls_client(client());
  ASSERT_FALSE(tls_client.connect(port));
  ASSERT_TRUE(tls_client.write(bytes_of("ping")));
  ASSERT_EQ(tls_client.read(4), bytes_of("ping"));
  ASSERT_EQ(server_->connection_count(), 1U);

  const auto shutdown = tls_client.shutdown(5s);
  EXPECT_NE(shutdown, asio::error::timed_out) << "the server did not end the stream";
  EXPECT_TRUE(recorder_->wait([](const Recorder& r) { return r.closed_ == 1; }));
  EXPECT_TRUE(recorder_->wait([&](const Recorder&) { return server_->connection_count() == 0; }));
  EXPECT_EQ(recorder_->infos().size(), 1U);
}

TEST_F(TlsChannelTest, ClosingFlushesTheLastBytesThenSendsCloseNotify) {
  auto server_options = options();
  // Only the orderly path can end the connection within this test's waits.
  server_options.limits.close_timeout = 60s;
  const auto port = start(server_options, [](std::span<const std::uint8_t>, core::ClientLink& link) {
    link.send(std::make_shared<const std::vector<std::uint8_t>>(bytes_of("last words")));
    link.close();
  });
  TlsClient tls_client(client());
  ASSERT_FALSE(tls_client.connect(port));
  ASSERT_TRUE(tls_client.write(bytes_of("bye")));
  std::vector<std::uint8_t> got;
  ASSERT_TRUE(tls_client.read_to_end(got, 5s));
  EXPECT_EQ(got, bytes_of("last words"));
  // eof is a close_notify; a TCP end without one would be asio::ssl::error::stream_truncated.
  EXPECT_EQ(tls_client.last_error(), asio::error::eof) << tls_client.last_error().message();
  EXPECT_TRUE(recorder_->wait([](const Recorder& r) { return r.closed_ == 1; }));
  // The server drains until our FIN, then closes in order (long before its close timeout).
  EXPECT_EQ(server_->connection_count(), 1U);
  EXPECT_TRUE(tls_client.finish_tcp(5s));
}

TEST_F(TlsChannelTest, APeersKeyUpdateIsAnsweredAndDataKeepsFlowing) {
  const auto port = start(options());  // echoes
  auto tls13 = client();
  tls13.min_version = TLS1_3_VERSION;
  TlsClient tls_client(tls13);
  ASSERT_FALSE(tls_client.connect(port));
  // Counts the KeyUpdate messages the server sends us.
  int server_updates = 0;
  SSL_set_msg_callback_arg(tls_client.ssl(), &server_updates);
  SSL_set_msg_callback(tls_client.ssl(), [](int write_p, int, int content_type, const void* buf,
                                            std::size_t len, SSL*, void* arg) {
    if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
        *static_cast<const unsigned char*>(buf) == SSL3_MT_KEY_UPDATE) {
      ++*static_cast<int*>(arg);
    }
  });
  for (int round = 0; round < 3; ++round) {
    // "Update yours too": the server must send its own KeyUpdate from inside SSL_read, then
    // both directions carry on under new keys.
    ASSERT_EQ(SSL_key_update(tls_client.ssl(), SSL_KEY_UPDATE_REQUESTED), 1);
    const auto message = bytes_of("after update " + std::to_string(round));
    ASSERT_TRUE(tls_client.write(message));
    ASSERT_EQ(tls_client.read(message.size()), message) << "round " << round;
    EXPECT_EQ(server_updates, round + 1);
  }
  EXPECT_EQ(recorder_->infos().size(), 1U);
  EXPECT_EQ(recorder_->closed_, 0);
}

TEST_F(TlsChannelTest, WorkerThreadsCannotBeKilledBySigpipeFromATlsWrite) {
  // OpenSSL writes with write(2): a write on a reset socket raises SIGPIPE unless the thread
  // blocks it (the broker does not ignore the signal process-wide).
  std::atomic<int> blocked{-1};
  const auto port = start(options(), [&](std::span<const std::uint8_t>, core::ClientLink&) {
    sigset_t mask;
    sigemptyset(&mask);
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    blocked = sigismember(&mask, SIGPIPE);
  });
  TlsClient tls_client(client());
  ASSERT_FALSE(tls_client.connect(port));
  ASSERT_TRUE(tls_client.write(bytes_of("x")));
  ASSERT_TRUE(recorder_->wait([](const Recorder& r) { return !r.received_.empty(); }));
  EXPECT_EQ(blocked.load(), 1);
}

TEST_F(TlsChannelTest, OneSessionTicketIsSentAndItResumesTheNextConnection) {
  const auto port = start(options());  // echoes
  auto tls13 = client();
  tls13.min_version = TLS1_3_VERSION;
  TlsClient first(tls13);
  // Counts the NewSessionTicket messages the server sends.
  int tickets = 0;
  SSL_set_msg_callback_arg(first.ssl(), &tickets);
  SSL_set_msg_callback(first.ssl(), [](int write_p, int, int content_type, const void* buf,
                                       std::size_t len, SSL*, void* arg) {
    if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
        *static_cast<const unsigned char*>(buf) == SSL3_MT_NEWSESSION_TICKET) {
      ++*static_cast<int*>(arg);
    }
  });
  ASSERT_FALSE(first.connect(port));
  // Tickets come after the handshake: an echo round trip makes sure they were read.
  ASSERT_TRUE(first.write(bytes_of("ping")));
  ASSERT_EQ(first.read(4), bytes_of("ping"));
  EXPECT_EQ(tickets, 1);
  SSL_SESSION* session = SSL_get1_session(first.ssl());
  ASSERT_NE(session, nullptr);

  TlsClient second(tls13);
  SSL_set_session(second.ssl(), session);
  SSL_SESSION_free(session);
  ASSERT_FALSE(second.connect(port));
  EXPECT_EQ(SSL_session_reused(second.ssl()), 1);
  ASSERT_TRUE(second.write(bytes_of("pong")));
  EXPECT_EQ(second.read(4), bytes_of("pong"));
}

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kTotal = 24 * 1024 * 1024;  // far more than both socket buffers hold

TEST_F(TlsChannelTest, AWriteThatFillsTheSocketWaitsAndResumesWhenThePeerReads) {
  auto server_options = options();
  server_options.tick_interval = 20ms;
  const auto port = start(server_options, [](std::span<const std::uint8_t>, core::ClientLink& link) {
    for (std::size_t sent = 0; sent < kTotal; sent += kChunk) {
      auto chunk = std::make_shared<std::vector<std::uint8_t>>(kChunk);
      for (std::size_t i = 0; i < kChunk; ++i) (*chunk)[i] = pattern(sent + i);
      link.send(std::move(chunk));
    }
  });
  TlsClient tls_client(client());
  ASSERT_FALSE(tls_client.connect(port));
  ASSERT_TRUE(recorder_->wait([](const Recorder& r) { return r.links_.size() == 1; }));
  auto link = recorder_->links_.at(0);
  ASSERT_TRUE(tls_client.write(bytes_of("go")));  // and then reads nothing for a while

  // The write stopped on the full socket (WANT_WRITE) and stays outstanding over ticks.
  EXPECT_TRUE(recorder_->wait([&](const Recorder&) { return !link->is_draining(); }, 5s));
  EXPECT_GT(link->queued_bytes(), 0U);
  ASSERT_TRUE(connection_of(link));

  const auto got = tls_client.read(kTotal, 30s);
  ASSERT_EQ(got.size(), kTotal);
  for (std::size_t i = 0; i < kTotal; ++i) {
    ASSERT_EQ(got[i], pattern(i)) << "at byte " << i;
  }
  EXPECT_TRUE(recorder_->wait([&](const Recorder&) { return link->queued_bytes() == 0; }, 5s));
  EXPECT_TRUE(recorder_->wait([&](const Recorder&) { return link->is_draining(); }, 5s));
}

}  // namespace
}  // namespace arkmq::net
