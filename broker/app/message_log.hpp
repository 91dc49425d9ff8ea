// MessageLog: the opt-in debug line per accepted PUBLISH with its payload ([log] payloads = true),
// for tracing what clients send. Added to the event fan-out only when asked: payloads are user
// data and never reach the logs otherwise. Called on worker threads; spdlog loggers are
// thread-safe and the sink holds nothing else.
#pragma once

#include <memory>

#include <spdlog/logger.h>

#include "broker/core/broker_events.hpp"

namespace arkmq::app {

class MessageLog final : public core::BrokerEvents {
 public:
  explicit MessageLog(std::shared_ptr<spdlog::logger> log) : log_(std::move(log)) {}

  // "publish from client 'c' (principal 'p') to 't' qos 1 retain 0, 5 bytes: hello"
  void published(const core::ClientIdentity& who, const core::PublishFacts& message) override;

 private:
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace arkmq::app
