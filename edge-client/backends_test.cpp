// Backends against in-process servers: HTTP (cpp-httplib) and TCP frames; TCP framing.
#include <gtest/gtest.h>

#include "edge-client/http_backend.hpp"
#include "edge-client/tcp_backend.hpp"
#include "edge-client/tcp_framing.hpp"
#include "edge-client/test_servers.hpp"
#include "tests/support/broker_process.hpp"

namespace arkmq::edge {
namespace {

using namespace std::chrono_literals;

ServiceConfig service(BackendKind kind, std::uint16_t port, std::string path = "") {
  ServiceConfig s;
  s.name = "svc";
  s.methods = {"echo"};
  s.backend = BackendUrl{kind, "127.0.0.1", port, std::move(path)};
  return s;
}

BackendRequest request(const std::string& method, const std::string& payload,
                       std::chrono::milliseconds budget = 5000ms) {
  return BackendRequest{"svc", method, payload, "text/plain", SteadyClock::now() + budget};
}

TEST(TcpFraming, FrameIsABigEndianLengthThenTheBytes) {
  EXPECT_EQ(encode_frame("abc"), std::string("\x00\x00\x00\x03" "abc", 7));
  EXPECT_EQ(encode_frame(""), std::string("\x00\x00\x00\x00", 4));
}

TEST(TcpFraming, ReaderAssemblesAFrameFedOneByteAtATime) {
  const std::string frame = encode_frame(std::string(300, 'q'));
  FrameReader reader;
  for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
    ASSERT_EQ(reader.feed(frame.substr(i, 1)), FrameReader::State::need_more);
  }
  EXPECT_EQ(reader.feed(frame.substr(frame.size() - 1)), FrameReader::State::complete);
  EXPECT_EQ(reader.payload(), std::string(300, 'q'));
}

TEST(TcpFraming, OversizedLengthIsRefused) {
  FrameReader reader;
  EXPECT_EQ(reader.feed(std::string("\x7f\x00\x00\x00", 4)), FrameReader::State::too_large);
}

TEST(HttpBackend, PostsTheMethodPathAndReturnsBodyStatusAndContentType) {
  test::HttpTestServer server;
  HttpBackend backend(service(BackendKind::http, server.port(), "/api"));
  const auto result = backend.call(request("echo", "ping"));
  EXPECT_EQ(result.status, CallStatus::ok);
  EXPECT_EQ(result.payload, "echo:ping");
  EXPECT_EQ(result.content_type, "text/plain");
  ASSERT_EQ(result.details.size(), 1U);
  EXPECT_EQ(result.details[0], (std::pair<std::string, std::string>{"http-status", "200"}));
}

TEST(HttpBackend, ServerErrorIsABackendErrorWithAGenericReason) {
  test::HttpTestServer server;
  HttpBackend backend(service(BackendKind::http, server.port(), "/api"));
  const auto result = backend.call(request("fail", ""));
  EXPECT_EQ(result.status, CallStatus::backend_error);
  EXPECT_EQ(result.error, "backend answered HTTP 503");
}

TEST(HttpBackend, UnreachableBackendErrorNamesNoAddress) {
  const auto port = arkmq::test::pick_free_port();
  HttpBackend backend(service(BackendKind::http, port, "/api"));
  const auto result = backend.call(request("echo", ""));
  EXPECT_EQ(result.status, CallStatus::backend_error);
  EXPECT_EQ(result.error, "backend unreachable");
  EXPECT_FALSE(backend.check_health(500ms));
}

TEST(HttpBackend, HealthCheckUsesTheHealthPath) {
  test::HttpTestServer server;
  auto config = service(BackendKind::http, server.port(), "/api");
  config.health_path = "/health";
  EXPECT_TRUE(HttpBackend(config).check_health(1000ms));
  config.health_path = "/missing";  // 404 is an answer: below 500 counts as alive
  EXPECT_TRUE(HttpBackend(config).check_health(1000ms));
}

TEST(TcpBackend, OneFrameOutOneFrameBack) {
  test::TcpFrameServer server;
  TcpBackend backend(service(BackendKind::tcp, server.port()));
  const auto result = backend.call(request("echo", "abc"));
  EXPECT_EQ(result.status, CallStatus::ok);
  EXPECT_EQ(result.payload, "tcp:abc");
  EXPECT_TRUE(backend.check_health(1000ms));
}

TEST(TcpBackend, ClosedPortIsUnreachable) {
  TcpBackend backend(service(BackendKind::tcp, arkmq::test::pick_free_port()));
  const auto result = backend.call(request("echo", "abc"));
  EXPECT_EQ(result.status, CallStatus::backend_error);
  EXPECT_EQ(result.error, "backend unreachable");
  EXPECT_FALSE(backend.check_health(500ms));
}

}  // namespace
}  // namespace arkmq::edge
