// Golden-byte builders and a lenient reader, written from the spec's chapter 2 and 3 layouts.
#include "tests/support/wire.hpp"

namespace arkmq::test::wire {

void put_u16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

void put_u32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void put_varint(Bytes& out, std::uint32_t value) {
  do {
    std::uint8_t digit = value % 128;
    value /= 128;
    if (value > 0) digit |= 0x80;
    out.push_back(digit);
  } while (value > 0);
}

void put_string(Bytes& out, const std::string& value) {
  put_u16(out, static_cast<std::uint16_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
}

PropertyWriter& PropertyWriter::byte(std::uint8_t id, std::uint8_t value) {
  bytes_.push_back(id);
  bytes_.push_back(value);
  return *this;
}
PropertyWriter& PropertyWriter::u16(std::uint8_t id, std::uint16_t value) {
  bytes_.push_back(id);
  put_u16(bytes_, value);
  return *this;
}
PropertyWriter& PropertyWriter::u32(std::uint8_t id, std::uint32_t value) {
  bytes_.push_back(id);
  put_u32(bytes_, value);
  return *this;
}
PropertyWriter& PropertyWriter::varint(std::uint8_t id, std::uint32_t value) {
  bytes_.push_back(id);
  put_varint(bytes_, value);
  return *this;
}
PropertyWriter& PropertyWriter::string(std::uint8_t id, const std::string& value) {
  bytes_.push_back(id);
  put_string(bytes_, value);
  return *this;
}
PropertyWriter& PropertyWriter::pair(std::uint8_t id, const std::string& name,
                                     const std::string& value) {
  bytes_.push_back(id);
  put_string(bytes_, name);
  put_string(bytes_, value);
  return *this;
}

Bytes packet(std::uint8_t first_byte, const Bytes& body) {
  Bytes out{first_byte};
  put_varint(out, static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

namespace {

void put_properties(Bytes& out, int version, const Bytes& properties) {
  if (version != 5) return;
  put_varint(out, static_cast<std::uint32_t>(properties.size()));
  out.insert(out.end(), properties.begin(), properties.end());
}

}  // namespace

Bytes connect(const ConnectSpec& spec) {
  Bytes body;
  put_string(body, spec.protocol_name);
  body.push_back(static_cast<std::uint8_t>(spec.version));
  std::uint8_t flags = spec.clean ? 0x02 : 0x00;
  if (spec.will_topic) flags |= static_cast<std::uint8_t>(0x04 | (spec.will_qos << 3));
  if (spec.will_retain) flags |= 0x20;
  if (spec.username) flags |= 0x80;
  if (spec.password) flags |= 0x40;
  body.push_back(flags);
  put_u16(body, spec.keep_alive);
  put_properties(body, spec.version, spec.properties);
  put_string(body, spec.client_id);
  if (spec.will_topic) {
    put_properties(body, spec.version, spec.will_properties);
    put_string(body, *spec.will_topic);
    put_string(body, spec.will_payload);
  }
  if (spec.username) put_string(body, *spec.username);
  if (spec.password) put_string(body, *spec.password);
  return packet(0x10, body);
}

ConnectSpec connect_spec(int version, const std::string& client_id, bool clean,
                         std::uint16_t keep_alive, Bytes properties) {
  ConnectSpec spec;
  spec.version = version;
  spec.client_id = client_id;
  spec.clean = clean;
  spec.keep_alive = keep_alive;
  spec.properties = std::move(properties);
  return spec;
}

Bytes subscribe(int version, std::uint16_t packet_id, const std::string& filter,
                std::uint8_t options, const Bytes& properties) {
  Bytes body;
  put_u16(body, packet_id);
  put_properties(body, version, properties);
  put_string(body, filter);
  body.push_back(options);
  return packet(0x82, body);
}

Bytes publish(int version, const std::string& topic, const std::string& payload, int qos,
              std::uint16_t packet_id, bool retain, const Bytes& properties) {
  Bytes body;
  put_string(body, topic);
  if (qos > 0) put_u16(body, packet_id);
  put_properties(body, version, properties);
  body.insert(body.end(), payload.begin(), payload.end());
  return packet(static_cast<std::uint8_t>(0x30 | (qos << 1) | (retain ? 1 : 0)), body);
}

Bytes ack(std::uint8_t first_byte, std::uint16_t packet_id) {
  Bytes body;
  put_u16(body, packet_id);
  return packet(first_byte, body);
}

Bytes disconnect(int version, std::uint8_t reason) {
  if (version != 5 || reason == 0) return {0xE0, 0x00};
  return packet(0xE0, Bytes{reason, 0x00});
}

Bytes pingreq() { return {0xC0, 0x00}; }

namespace {

// Cursor over a frame body; every read fails softly (ok_ = false) past the end.
class Reader {
 public:
  explicit Reader(const Bytes& bytes, std::size_t pos = 0) : bytes_(bytes), pos_(pos) {}
  bool ok() const { return ok_; }
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return ok_ ? bytes_.size() - pos_ : 0; }
  std::uint8_t u8() {
    if (left() < 1) return fail();
    return bytes_[pos_++];
  }
  std::uint16_t u16() {
    const std::uint16_t high = u8();
    return static_cast<std::uint16_t>((high << 8) | u8());
  }
  std::uint32_t u32() {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = (value << 8) | u8();
    return value;
  }
  std::uint32_t varint() {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const std::uint8_t digit = u8();
      value |= static_cast<std::uint32_t>(digit & 0x7F) << (7 * i);
      if ((digit & 0x80) == 0) return value;
    }
    return fail();
  }
  std::string str() {
    const std::uint16_t size = u16();
    if (left() < size) {
      fail();
      return {};
    }
    std::string out(bytes_.begin() + static_cast<std::ptrdiff_t>(pos_),
                    bytes_.begin() + static_cast<std::ptrdiff_t>(pos_ + size));
    pos_ += size;
    return out;
  }
  std::string rest() {
    if (!ok_) return {};
    std::string out(bytes_.begin() + static_cast<std::ptrdiff_t>(pos_), bytes_.end());
    pos_ = bytes_.size();
    return out;
  }
  std::multimap<std::uint8_t, PropertyValue> properties() {
    std::multimap<std::uint8_t, PropertyValue> out;
    const std::uint32_t length = varint();
    const std::size_t end = pos_ + length;
    while (ok_ && pos_ < end) {
      const std::uint8_t id = u8();
      PropertyValue value;
      switch (id) {
        case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A:
          value.number = u8();
          break;
        case 0x13: case 0x21: case 0x22: case 0x23:
          value.number = u16();
          break;
        case 0x02: case 0x11: case 0x18: case 0x27:
          value.number = u32();
          break;
        case 0x0B:
          value.number = varint();
          break;
        case 0x26:
          value.text = str();
          value.text2 = str();
          break;
        default:  // 0x03 0x08 0x09 0x12 0x15 0x16 0x1A 0x1C 0x1F: string or binary data
          value.text = str();
          break;
      }
      out.emplace(id, value);
    }
    if (pos_ != end) fail();
    return out;
  }

 private:
  std::uint8_t fail() {
    ok_ = false;
    return 0;
  }
  const Bytes& bytes_;
  std::size_t pos_;
  bool ok_ = true;
};

}  // namespace

std::optional<PropertyValue> find_property(const PropertyMap& properties, std::uint8_t id) {
  const auto it = properties.find(id);
  if (it == properties.end()) return std::nullopt;
  return it->second;
}

std::optional<PublishView> parse_publish(const Frame& frame, int version) {
  if (frame.type() != 3) return std::nullopt;
  PublishView view;
  view.qos = (frame.flags() >> 1) & 0x03;
  view.dup = (frame.flags() & 0x08) != 0;
  view.retain = (frame.flags() & 0x01) != 0;
  Reader reader(frame.body);
  view.topic = reader.str();
  if (view.qos > 0) view.packet_id = reader.u16();
  if (version == 5) view.properties = reader.properties();
  view.payload = reader.rest();
  if (!reader.ok()) return std::nullopt;
  return view;
}

std::optional<ConnackView> parse_connack(const Frame& frame, int version) {
  if (frame.type() != 2) return std::nullopt;
  ConnackView view;
  Reader reader(frame.body);
  view.session_present = (reader.u8() & 0x01) != 0;
  view.reason = reader.u8();
  if (version == 5 && reader.left() > 0) view.properties = reader.properties();
  if (!reader.ok()) return std::nullopt;
  return view;
}

std::vector<std::uint8_t> parse_ack_reasons(const Frame& frame, int version) {
  Reader reader(frame.body);
  reader.u16();
  if (version == 5) reader.properties();
  std::vector<std::uint8_t> out;
  while (reader.left() > 0) out.push_back(reader.u8());
  return out;
}

std::uint16_t packet_id_of(const Frame& frame) {
  Reader reader(frame.body);
  return reader.u16();
}

std::uint8_t disconnect_reason(const Frame& frame) {
  return frame.body.empty() ? 0 : frame.body[0];
}

std::uint8_t ack_reason(const Frame& frame) { return frame.body.size() < 3 ? 0 : frame.body[2]; }

}  // namespace arkmq::test::wire
