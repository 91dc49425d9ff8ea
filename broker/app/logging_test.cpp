// Logging: a logger per module over one sink, levels per module, text and JSON lines, and
// apply() changing format and levels of loggers already handed out.
#include "broker/app/logging.hpp"

#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include "broker/app/log_format.hpp"

namespace arkmq::app {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class LoggingTest : public ::testing::Test {
 protected:
  Logging make(const LogConfig& config) {
    return Logging(config, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  }
  std::ostringstream out_;
};

TEST_F(LoggingTest, EachModuleGetsOneLoggerNamedAfterIt) {
  Logging logging = make(LogConfig{});
  auto net = logging.get("net");
  EXPECT_EQ(net->name(), "net");
  EXPECT_EQ(logging.get("net"), net);
  EXPECT_NE(logging.get("acl"), net);
  net->info("hello {}", 1);
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("[net] [info] hello 1"), std::string::npos) << lines[0];
}

TEST_F(LoggingTest, ModuleLevelsOverrideTheDefaultLevel) {
  LogConfig config;
  config.level = "info";
  config.modules = {{"net", "debug"}, {"acl", "off"}};
  Logging logging = make(config);
  logging.get("net")->debug("net detail");
  logging.get("broker")->debug("broker detail");
  logging.get("broker")->info("broker news");
  logging.get("acl")->error("acl error");
  const std::string text = out_.str();
  EXPECT_NE(text.find("net detail"), std::string::npos) << text;
  EXPECT_EQ(text.find("broker detail"), std::string::npos) << text;
  EXPECT_NE(text.find("broker news"), std::string::npos) << text;
  EXPECT_EQ(text.find("acl error"), std::string::npos) << text;
}

TEST_F(LoggingTest, JsonFormatWritesOneEscapedObjectPerLine) {
  LogConfig config;
  config.format = LogFormat::json;
  Logging logging = make(config);
  logging.get("services")->warn("quote \" backslash \\ newline \n tab \t bad \xff end");
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1U) << out_.str();
  const auto line = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(line.at("level"), "warn");
  EXPECT_EQ(line.at("module"), "services");
  EXPECT_EQ(line.at("msg"), "quote \" backslash \\ newline \n tab \t bad \xef\xbf\xbd end");
  const std::string time = line.at("time");
  // 2026-11-28T02:46:24.123Z
  ASSERT_EQ(time.size(), 24U) << time;
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time[19], '.');
  EXPECT_EQ(time.back(), 'Z');
}

TEST_F(LoggingTest, ApplyChangesFormatAndLevelsOfExistingLoggers) {
  Logging logging = make(LogConfig{});
  auto net = logging.get("net");
  net->debug("before");
  LogConfig changed;
  changed.format = LogFormat::json;
  changed.modules = {{"net", "trace"}};
  logging.apply(changed);
  EXPECT_EQ(logging.config().format, LogFormat::json);
  net->trace("after");
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1U) << out_.str();
  EXPECT_EQ(nlohmann::json::parse(lines[0]).at("msg"), "after");
  // New loggers follow the applied configuration too.
  EXPECT_EQ(logging.get("http")->level(), spdlog::level::info);
  EXPECT_EQ(logging.get("net")->level(), spdlog::level::trace);
}

TEST_F(LoggingTest, ApplyWhileOtherThreadsLogKeepsEveryLineWhole) {
  Logging logging = make(LogConfig{});
  auto net = logging.get("net");
  constexpr int kLines = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([net, t] {
      for (int i = 0; i < kLines; ++i) net->info("thread {} line {}", t, i);
    });
  }
  LogConfig json;
  json.format = LogFormat::json;
  for (int i = 0; i < 200; ++i) logging.apply(i % 2 == 0 ? json : LogConfig{});
  for (auto& thread : threads) thread.join();
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 2U * kLines);
  for (const auto& line : lines) {
    if (line.starts_with("{")) {
      EXPECT_TRUE(nlohmann::json::accept(line)) << line;
    } else {
      EXPECT_NE(line.find("] [net] [info] thread "), std::string::npos) << line;
    }
  }
}

TEST(LogFormat, PayloadsArePrintableAndBounded) {
  const std::vector<std::uint8_t> bytes{'a', 'b', 0x00, '\\', 0xff, 'z'};
  EXPECT_EQ(payload_for_log(bytes), "ab\\x00\\x5c\\xffz");
  EXPECT_EQ(payload_for_log(bytes, 2), "ab... (6 bytes)");
  EXPECT_EQ(payload_for_log({}), "");
}

}  // namespace
}  // namespace arkmq::app
