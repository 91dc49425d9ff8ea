// Listener URL parsing: accepted forms and one clear error per malformed form.
#include "broker/net/listen_url.hpp"

#include <gtest/gtest.h>

namespace arkmq::net {
namespace {

TEST(ListenUrl, ParsesPlainIpv4Url) {
  auto url = parse_listen_url("mqtt://127.0.0.1:1883");
  ASSERT_TRUE(url) << url.error();
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 1883);
  EXPECT_EQ(url->to_string(), "mqtt://127.0.0.1:1883");
}

TEST(ListenUrl, ParsesTlsIpv6UrlInBrackets) {
  auto url = parse_listen_url("mqtts://[::1]:8883");
  ASSERT_TRUE(url) << url.error();
  EXPECT_TRUE(url->tls);
  EXPECT_TRUE(url->is_ipv6);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->to_string(), "mqtts://[::1]:8883");
}

TEST(ListenUrl, PortZeroMeansAnyFreePort) {
  auto url = parse_listen_url("mqtt://0.0.0.0:0");
  ASSERT_TRUE(url) << url.error();
  EXPECT_EQ(url->port, 0);
}

TEST(ListenUrl, LocalhostMeansIpv4Loopback) {
  auto url = parse_listen_url("mqtt://localhost:1883");
  ASSERT_TRUE(url) << url.error();
  EXPECT_EQ(url->host, "127.0.0.1");
}

struct BadUrl {
  const char* url;
  const char* message_part;
};

class ListenUrlRejects : public ::testing::TestWithParam<BadUrl> {};

TEST_P(ListenUrlRejects, MalformedUrlWithAMessageNamingTheProblem) {
  auto url = parse_listen_url(GetParam().url);
  ASSERT_FALSE(url);
  EXPECT_NE(url.error().find(GetParam().url), std::string::npos) << url.error();
  EXPECT_NE(url.error().find(GetParam().message_part), std::string::npos) << url.error();
}

INSTANTIATE_TEST_SUITE_P(
    ListenUrl, ListenUrlRejects,
    ::testing::Values(BadUrl{"tcp://127.0.0.1:1883", "scheme"}, BadUrl{"127.0.0.1:1883", "scheme"},
                      BadUrl{"mqtt://127.0.0.1", "missing ':PORT'"},
                      BadUrl{"mqtt://127.0.0.1:", "missing port"},
                      BadUrl{"mqtt://:1883", "missing host"},
                      BadUrl{"mqtt://127.0.0.1:65536", "0 to 65535"},
                      BadUrl{"mqtt://127.0.0.1:18x3", "0 to 65535"},
                      BadUrl{"mqtt://127.0.0.1:-1", "0 to 65535"},
                      BadUrl{"mqtt://example.com:1883", "IP address literal"},
                      BadUrl{"mqtt://::1:1883", "brackets"},
                      BadUrl{"mqtt://[::1:1883", "']'"},
                      BadUrl{"mqtt://[::1]1883", "':PORT'"},
                      BadUrl{"mqtt://[127.0.0.1]:1883", "not an IPv6"},
                      BadUrl{"mqtt://256.0.0.1:1883", "IP address literal"}),
    [](const ::testing::TestParamInfo<BadUrl>& param) { return "case" + std::to_string(param.index); });

}  // namespace
}  // namespace arkmq::net
