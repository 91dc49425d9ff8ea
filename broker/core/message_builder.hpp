// Conversions between wire PUBLISH/Will and the broker's shared Message: which properties are
// forwarded, and how Message Expiry counts down. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/core/message.hpp"
#include "broker/core/session.hpp"
#include "broker/protocol/packets.hpp"

namespace arkmq::core {

// The message a client published (topic alias already resolved). Keeps the forwardable
// properties untouched [MQTT-3.3.2-*]; drops topic alias and subscription ids.
MessagePtr make_message(protocol::Publish&& publish, const std::string& origin_client_id,
                        TimePoint now);

// The message of a will, at the moment it is published (its expiry starts then).
MessagePtr make_will_message(const protocol::Will& will, const std::string& origin_client_id,
                             TimePoint now);

// How the topic travels in one outbound PUBLISH: in full, in full plus a new alias, or as an
// alias alone (empty topic name).
struct TopicForm {
  std::uint16_t alias = 0;  // 0: no Topic Alias property
  bool omit_topic = false;
  bool operator==(const TopicForm&) const = default;
};

// The PUBLISH sent to one subscriber layout; packet id 1 for QoS 1/2 (patched per subscriber).
// Message Expiry Interval is the remaining lifetime [MQTT-3.3.2-6], at least 1 second.
// `out` gives the message, QoS, RETAIN flag and subscription ids (v3.1.1 encodes no properties).
protocol::Publish make_outbound_publish(const Outbound& out, TopicForm topic_form, TimePoint now);

inline bool is_expired(const Message& message, TimePoint now) {
  return message.expires_at && *message.expires_at <= now;
}

}  // namespace arkmq::core
