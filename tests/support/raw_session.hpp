// A minimal, well-behaved MQTT client over RawClient (connect, publish with the full QoS 1/2
// handshake, subscribe, receive-and-ack). Fast to connect, unlike a second Paho client in one
// process (Paho C picks up new sockets only on its next 1 s poll cycle). Test thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/raw_client.hpp"

namespace arkmq::test {

class RawSession {
 public:
  // Connects and reads CONNACK; throws std::runtime_error unless it is accepted.
  RawSession(std::uint16_t port, int version, const std::string& client_id, bool clean = true,
             const wire::Bytes& connect_properties = {});

  int version() const { return version_; }
  const wire::ConnackView& connack() const { return connack_; }
  RawClient& raw() { return client_; }

  // Publishes and, for QoS 1/2, completes the handshake. Returns the PUBACK/PUBREC reason
  // (0 for QoS 0), or nullopt if the broker did not answer before the deadline.
  std::optional<std::uint8_t> publish(const std::string& topic, const std::string& payload,
                                      int qos = 0, bool retain = false,
                                      const wire::Bytes& properties = {});

  // Subscribes one filter; returns the SUBACK reason codes (empty on timeout).
  std::vector<std::uint8_t> subscribe(const std::string& filter, std::uint8_t options,
                                      const wire::Bytes& properties = {});

  // The next PUBLISH, acknowledged as a conforming client would (PUBACK, or PUBREC/PUBCOMP).
  std::optional<wire::PublishView> next_publish(const Deadline& deadline);

  void disconnect(std::uint8_t reason = 0);

 private:
  std::uint16_t next_id();

  RawClient client_;
  int version_;
  wire::ConnackView connack_;
  std::uint16_t packet_id_ = 0;
};

}  // namespace arkmq::test
