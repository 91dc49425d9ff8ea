// Hand-written MQTT wire bytes for raw-socket tests, independent of the broker's own codec (so a
// codec bug cannot hide itself in a round trip), plus a minimal reader for the packets tests check.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace arkmq::test::wire {

using Bytes = std::vector<std::uint8_t>;

void put_u16(Bytes& out, std::uint16_t value);
void put_u32(Bytes& out, std::uint32_t value);
void put_varint(Bytes& out, std::uint32_t value);
void put_string(Bytes& out, const std::string& value);

// MQTT 5 properties, appended in the order given: id byte then the value's wire form.
class PropertyWriter {
 public:
  PropertyWriter& byte(std::uint8_t id, std::uint8_t value);
  PropertyWriter& u16(std::uint8_t id, std::uint16_t value);
  PropertyWriter& u32(std::uint8_t id, std::uint32_t value);
  PropertyWriter& varint(std::uint8_t id, std::uint32_t value);
  PropertyWriter& string(std::uint8_t id, const std::string& value);
  PropertyWriter& pair(std::uint8_t id, const std::string& name, const std::string& value);
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

// Fixed header + body.
Bytes packet(std::uint8_t first_byte, const Bytes& body);

struct ConnectSpec {
  int version = 4;  // 4 = 3.1.1, 5 = 5.0
  std::string client_id;
  bool clean = true;
  std::uint16_t keep_alive = 60;
  Bytes properties;  // v5 only, already encoded (PropertyWriter::bytes())
  std::optional<std::string> will_topic;
  std::string will_payload;
  int will_qos = 0;
  bool will_retain = false;
  Bytes will_properties;  // v5 only
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string protocol_name = "MQTT";  // "MQIsdp" with version 3 for MQTT 3.1
};
Bytes connect(const ConnectSpec& spec);
// The common case in one call; set the will fields afterwards when needed.
ConnectSpec connect_spec(int version, const std::string& client_id, bool clean = true,
                         std::uint16_t keep_alive = 60, Bytes properties = {});

Bytes subscribe(int version, std::uint16_t packet_id, const std::string& filter,
                std::uint8_t options, const Bytes& properties = {});
Bytes publish(int version, const std::string& topic, const std::string& payload, int qos,
              std::uint16_t packet_id = 0, bool retain = false, const Bytes& properties = {});
// PUBACK/PUBREC/PUBREL/PUBCOMP with reason 0 (the short form, valid in both versions).
Bytes ack(std::uint8_t first_byte, std::uint16_t packet_id);
Bytes disconnect(int version, std::uint8_t reason = 0);
Bytes pingreq();

// A property value as read back: integers in `number`, strings/binary in `text`.
struct PropertyValue {
  std::uint32_t number = 0;
  std::string text;
  std::string text2;  // user property value
};
using PropertyMap = std::multimap<std::uint8_t, PropertyValue>;

// One received packet with the fields tests look at. Parsing is lenient on purpose:
// the broker's correctness is asserted by the tests, not by this reader.
struct Frame {
  std::uint8_t first_byte = 0;
  Bytes body;  // after the fixed header
  int type() const { return first_byte >> 4; }
  int flags() const { return first_byte & 0x0F; }
};

struct PublishView {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool dup = false;
  bool retain = false;
  std::uint16_t packet_id = 0;
  PropertyMap properties;
};

// The first value of property `id`, if present.
std::optional<PropertyValue> find_property(const PropertyMap& properties, std::uint8_t id);

// Parse a PUBLISH frame; nullopt if it is not one or is truncated.
std::optional<PublishView> parse_publish(const Frame& frame, int version);
// CONNACK: {session present, reason/return code}; properties for v5.
struct ConnackView {
  bool session_present = false;
  std::uint8_t reason = 0xFF;
  PropertyMap properties;
};
std::optional<ConnackView> parse_connack(const Frame& frame, int version);
// SUBACK/UNSUBACK reason codes.
std::vector<std::uint8_t> parse_ack_reasons(const Frame& frame, int version);
// Packet id of PUBACK/PUBREC/PUBREL/PUBCOMP/SUBACK/UNSUBACK.
std::uint16_t packet_id_of(const Frame& frame);
// Reason byte of a v5 DISCONNECT (0 when absent), or of a v5 PUBACK-like ack.
std::uint8_t disconnect_reason(const Frame& frame);
std::uint8_t ack_reason(const Frame& frame);

}  // namespace arkmq::test::wire
