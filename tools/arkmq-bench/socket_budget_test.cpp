// socket_budget: loopback source spreading, the descriptor shortfall and the error texts.
#include "tools/arkmq-bench/socket_budget.hpp"

#include <gtest/gtest.h>

#include <asio/error.hpp>

#include <cerrno>

namespace arkmq::bench {
namespace {

const asio::ip::address loopback = asio::ip::make_address("127.0.0.1");

TEST(SourceAddresses, RequestedCountStartsAt127002) {
  const auto sources = source_addresses(3, 10, loopback);
  ASSERT_EQ(sources.size(), 3U);
  EXPECT_EQ(sources[0].to_string(), "127.0.0.2");
  EXPECT_EQ(sources[1].to_string(), "127.0.0.3");
  EXPECT_EQ(sources[2].to_string(), "127.0.0.4");
}

TEST(SourceAddresses, AutomaticAddsOnePer20000ConnectionsOnLoopback) {
  EXPECT_TRUE(source_addresses(0, connections_per_source, loopback).empty());
  EXPECT_EQ(source_addresses(0, connections_per_source + 1, loopback).size(), 2U);
  EXPECT_EQ(source_addresses(0, 100'000, loopback).size(), 5U);
}

TEST(SourceAddresses, AutomaticLeavesANonLoopbackBrokerToTheKernel) {
  EXPECT_TRUE(source_addresses(0, 100'000, asio::ip::make_address("192.0.2.1")).empty());
  EXPECT_TRUE(source_addresses(0, 100'000, asio::ip::make_address("::1")).empty());
}

TEST(SourceAddresses, ConnectionsAreDealtRoundRobin) {
  const auto sources = source_addresses(2, 4, loopback);
  EXPECT_EQ(source_for(sources, 0)->to_string(), "127.0.0.2");
  EXPECT_EQ(source_for(sources, 1)->to_string(), "127.0.0.3");
  EXPECT_EQ(source_for(sources, 2)->to_string(), "127.0.0.2");
  EXPECT_FALSE(source_for({}, 7));
}

TEST(FileLimit, EnoughDescriptorsIsNoShortfall) {
  EXPECT_EQ(file_limit_shortfall(1000, 1000 + bench_fd_reserve), "");
}

TEST(FileLimit, ShortfallNamesTheLimitAndWhatFits) {
  const std::string text = file_limit_shortfall(100'000, 20'000);
  EXPECT_NE(text.find("--clients 100000"), std::string::npos) << text;
  EXPECT_NE(text.find("RLIMIT_NOFILE is 20000"), std::string::npos) << text;
  EXPECT_NE(text.find("about " + std::to_string(20'000 - bench_fd_reserve) + " connections"),
            std::string::npos)
      << text;
}

TEST(OpenError, TooManyOpenFilesNamesTheDescriptorLimit) {
  const std::string text = describe_open_error({EMFILE, std::system_category()}, 20'000);
  EXPECT_NE(text.find("out of file descriptors"), std::string::npos) << text;
  EXPECT_NE(text.find("RLIMIT_NOFILE 20000"), std::string::npos) << text;
}

TEST(OpenError, NoAddressAvailableSuggestsMoreSources) {
  const std::string text = describe_open_error({EADDRNOTAVAIL, std::system_category()}, 20'000);
  EXPECT_NE(text.find("out of source ports"), std::string::npos) << text;
  EXPECT_NE(text.find("--sources"), std::string::npos) << text;
}

TEST(OpenError, AsioCategoryErrorsAreRecognisedToo) {
  const std::error_code asio_emfile = asio::error::no_descriptors;
  EXPECT_NE(describe_open_error(asio_emfile, 20'000).find("out of file descriptors"),
            std::string::npos);
}

TEST(OpenError, OtherErrorsKeepTheirMessage) {
  const std::error_code refused{ECONNREFUSED, std::system_category()};
  EXPECT_EQ(describe_open_error(refused, 20'000), refused.message());
}

}  // namespace
}  // namespace arkmq::bench
