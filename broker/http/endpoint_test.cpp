// Endpoint: real requests on 127.0.0.1:0 with httplib::Client and a raw socket.
#include "broker/http/endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>

namespace arkmq::http {
namespace {

EndpointOptions options_for(const std::string& url, bool allow_non_loopback = false) {
  EndpointOptions options;
  options.url = url;
  options.allow_non_loopback = allow_non_loopback;
  return options;
}

std::unique_ptr<Endpoint> started_endpoint(std::atomic<int>* hits = nullptr) {
  auto endpoint = Endpoint::create(options_for("http://127.0.0.1:0"));
  EXPECT_TRUE(endpoint.has_value()) << endpoint.error();
  (*endpoint)->add_route("/metrics", [hits](const Query& query) {
    if (hits) ++*hits;
    Response response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = "up 1\n";
    if (auto it = query.find("window"); it != query.end()) response.body += "window " + it->second;
    return response;
  });
  (*endpoint)->add_route("/teapot", [](const Query&) { return Response{418, "text/plain", "no"}; });
  auto started = (*endpoint)->start();
  EXPECT_TRUE(started.has_value()) << started.error();
  return std::move(*endpoint);
}

int port_of(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

httplib::Client client_for(const Endpoint& endpoint) {
  httplib::Client client("127.0.0.1", port_of(endpoint.bound_url()));
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(5));
  return client;
}

// Sends `bytes` on a fresh connection and returns the answer's status line and headers (read
// until the blank line, the server closes, or 5 s pass).
std::string raw_exchange(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  std::string answer;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd wait{fd, POLLIN, 0};
      if (::poll(&wait, 1, 100) <= 0) continue;
      char buffer[1024];
      const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      answer.append(buffer, static_cast<std::size_t>(got));
      if (answer.find("\r\n\r\n") != std::string::npos) break;
    }
  }
  ::close(fd);
  return answer;
}

TEST(Endpoint, ServesARouteOnAFreeLoopbackPort) {
  auto endpoint = started_endpoint();
  EXPECT_TRUE(endpoint->bound_url().starts_with("http://127.0.0.1:"));
  EXPECT_GT(port_of(endpoint->bound_url()), 0);
  auto client = client_for(*endpoint);
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "up 1\n");
  EXPECT_EQ(response->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
}

TEST(Endpoint, SendsSecurityHeadersWithEveryAnswer) {
  auto endpoint = started_endpoint();
  auto client = client_for(*endpoint);
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_NE(response->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_NE(response->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  EXPECT_EQ(response->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response->get_header_value("Cache-Control"), "no-store");
}

TEST(Endpoint, PassesTheDecodedQueryToTheHandler) {
  auto endpoint = started_endpoint();
  auto client = client_for(*endpoint);
  auto response = client.Get("/metrics?window=3%30");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "up 1\nwindow 30");
}

TEST(Endpoint, UsesTheStatusTheHandlerReturns) {
  auto endpoint = started_endpoint();
  auto client = client_for(*endpoint);
  auto response = client.Get("/teapot");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 418);
  EXPECT_EQ(response->body, "no");
}

TEST(Endpoint, AnswersAnUnknownPathWith404) {
  auto endpoint = started_endpoint();
  auto client = client_for(*endpoint);
  for (const char* path : {"/", "/metricsx", "/metrics/", "/METRICS"}) {
    auto response = client.Get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 404) << path;
  }
}

TEST(Endpoint, RefusesEveryMethodButGetAndHeadWith405) {
  std::atomic<int> hits{0};
  auto endpoint = started_endpoint(&hits);
  auto client = client_for(*endpoint);
  auto post = client.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto put = client.Put("/metrics", "x", "text/plain");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  auto del = client.Delete("/metrics");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  auto options = client.Options("/metrics");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 405);
  EXPECT_EQ(hits.load(), 0);
}

TEST(Endpoint, AnswersHeadWithoutABody) {
  auto endpoint = started_endpoint();
  auto client = client_for(*endpoint);
  auto response = client.Head("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty());
}

TEST(Endpoint, AnswersGarbageWithAnErrorAndKeepsServing) {
  auto endpoint = started_endpoint();
  const int port = port_of(endpoint->bound_url());
  const std::string garbage("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15);
  const std::string answer = raw_exchange(port, garbage);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  const std::string bad_method = raw_exchange(port, "BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(bad_method.starts_with("HTTP/1.1 4")) << bad_method;
  const std::string huge_uri =
      raw_exchange(port, "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(huge_uri.starts_with("HTTP/1.1 4")) << huge_uri.substr(0, 40);

  // A GET's body is never read (POST and the rest are refused before theirs): the bytes that
  // follow are not a request, and the connection ends; the endpoint keeps serving others.
  const std::string huge_header = raw_exchange(
      port, "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(20000, 'h') + "\r\n\r\n");
  EXPECT_FALSE(huge_header.starts_with("HTTP/1.1 200")) << huge_header.substr(0, 40);

  auto client = client_for(*endpoint);
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(Endpoint, RefusesANonLoopbackUrlUnlessAllowed) {
  for (const char* url : {"http://0.0.0.0:0", "http://192.0.2.1:9090", "http://example.com:80",
                          "http://[::]:9090"}) {
    auto refused = Endpoint::create(options_for(url));
    ASSERT_FALSE(refused.has_value()) << url;
    EXPECT_NE(refused.error().find(url), std::string::npos) << refused.error();
    EXPECT_NE(refused.error().find("loopback"), std::string::npos) << refused.error();
  }
  auto allowed = Endpoint::create(options_for("http://0.0.0.0:0", true));
  EXPECT_TRUE(allowed.has_value());
}

TEST(Endpoint, RefusesAMalformedUrlWithOneLine) {
  for (const char* url : {"https://127.0.0.1:1", "127.0.0.1:9090", "http://127.0.0.1",
                          "http://127.0.0.1:99999", "http://127.0.0.1:9090/metrics"}) {
    auto refused = Endpoint::create(options_for(url));
    ASSERT_FALSE(refused.has_value()) << url;
    EXPECT_EQ(refused.error().find('\n'), std::string::npos);
    EXPECT_NE(refused.error().find(url), std::string::npos) << refused.error();
  }
}

TEST(Endpoint, ReportsAPortInUseWhenStarting) {
  auto first = started_endpoint();
  auto second = Endpoint::create(options_for(first->bound_url()));
  ASSERT_TRUE(second.has_value());
  auto started = (*second)->start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find(first->bound_url()), std::string::npos) << started.error();
}

TEST(Endpoint, StopsIdempotentlyAndClosesThePort) {
  auto endpoint = started_endpoint();
  const int port = port_of(endpoint->bound_url());
  endpoint->stop();
  endpoint->stop();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(2));
  EXPECT_FALSE(client.Get("/metrics"));
}

TEST(Endpoint, StopsWithoutHavingStarted) {
  auto endpoint = Endpoint::create(options_for("http://127.0.0.1:0"));
  ASSERT_TRUE(endpoint.has_value());
  (*endpoint)->stop();
}

}  // namespace
}  // namespace arkmq::http
