// HttpUrl parsing and the loopback check.
#include "broker/http/http_url.hpp"

#include <gtest/gtest.h>

namespace arkmq::http {
namespace {

TEST(HttpUrl, ParsesHostAndPort) {
  auto url = parse_http_url("http://127.0.0.1:9090");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 9090);
  EXPECT_EQ(url->to_string(9090), "http://127.0.0.1:9090");
}

TEST(HttpUrl, ParsesABracketedIpv6HostAndATrailingSlash) {
  auto url = parse_http_url("http://[::1]:0/");
  ASSERT_TRUE(url.has_value()) << url.error();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 0);
  EXPECT_EQ(url->to_string(4000), "http://[::1]:4000");
}

TEST(HttpUrl, RefusesWhatIsNotHttpHostPort) {
  for (const char* text : {"", "http://", "http://:80", "mqtt://127.0.0.1:1", "http://::1:80",
                           "http://[::1:80", "http://127.0.0.1:x", "http://127.0.0.1:-1",
                           "http://127.0.0.1:65536", "http://127.0.0.1:80/metrics",
                           "http://user@127.0.0.1:80"}) {
    EXPECT_FALSE(parse_http_url(text).has_value()) << text;
  }
}

TEST(HttpUrl, KnowsLoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("::"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("localhost.example.com"));
}

}  // namespace
}  // namespace arkmq::http
