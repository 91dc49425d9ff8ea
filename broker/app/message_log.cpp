// MessageLog: see message_log.hpp.
#include "broker/app/message_log.hpp"

#include "broker/app/log_format.hpp"

namespace arkmq::app {

void MessageLog::published(const core::ClientIdentity& who, const core::PublishFacts& message) {
  if (!log_->should_log(spdlog::level::debug)) {
    return;  // rendering the payload costs more than the check
  }
  log_->debug("publish from client '{}' (principal '{}') to '{}' qos {} retain {}, {} bytes: {}",
              who.client_id, who.principal, message.topic, message.qos, message.retain ? 1 : 0,
              message.payload.size(), payload_for_log(message.payload));
}

}  // namespace arkmq::app
