// MessageLog: the opt-in publish line carries the payload, rendered printable, only at debug.
#include "broker/app/message_log.hpp"

#include <sstream>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

namespace arkmq::app {
namespace {

TEST(MessageLog, LogsEachPublishWithItsPayloadAtDebugOnly) {
  std::ostringstream out;
  auto log = std::make_shared<spdlog::logger>(
      "broker", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  log->set_pattern("%l %v");
  log->set_level(spdlog::level::info);
  MessageLog messages(log);
  const std::vector<std::uint8_t> payload{'h', 'i', 0x01};
  core::PublishFacts facts;
  facts.topic = "a/b";
  facts.qos = 1;
  facts.payload = payload;
  messages.published(core::ClientIdentity{"c1", "alice", nullptr}, facts);
  EXPECT_EQ(out.str(), "") << "nothing above debug";
  log->set_level(spdlog::level::debug);
  messages.published(core::ClientIdentity{"c1", "alice", nullptr}, facts);
  EXPECT_EQ(out.str(),
            "debug publish from client 'c1' (principal 'alice') to 'a/b' qos 1 retain 0, 3 bytes: "
            "hi\\x01\n");
}

}  // namespace
}  // namespace arkmq::app
