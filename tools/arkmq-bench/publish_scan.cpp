// scan_publish_v5: walks the variable header and the property block once, keeping views.
#include "tools/arkmq-bench/publish_scan.hpp"

namespace arkmq::bench {

namespace {

class Cursor {
 public:
  explicit Cursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  std::size_t at() const { return at_; }
  bool empty() const { return at_ >= bytes_.size(); }

  std::uint8_t byte() {
    if (!need(1)) return 0;
    return bytes_[at_++];
  }
  std::uint16_t u16() {
    if (!need(2)) return 0;
    const auto value = static_cast<std::uint16_t>((bytes_[at_] << 8) | bytes_[at_ + 1]);
    at_ += 2;
    return value;
  }
  void skip(std::size_t n) {
    if (need(n)) at_ += n;
  }
  std::uint32_t varint() {  // [MQTT-1.5.5]
    std::uint32_t value = 0;
    for (unsigned shift = 0; shift < 28; shift += 7) {
      const std::uint8_t b = byte();
      value |= static_cast<std::uint32_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return value;
    }
    ok_ = false;
    return 0;
  }
  std::string_view string() {  // two-byte length, then the bytes (UTF-8 string or binary data)
    const std::uint16_t length = u16();
    if (!need(length)) return {};
    const std::string_view view(reinterpret_cast<const char*>(bytes_.data() + at_), length);
    at_ += length;
    return view;
  }

 private:
  bool need(std::size_t n) {
    if (!ok_ || bytes_.size() - at_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

// Skips one property value by its identifier's type (spec table 2.2.2.2); false if unknown.
bool skip_value(Cursor& c, std::uint8_t id) {
  switch (id) {
    case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A:
      c.skip(1);
      return true;
    case 0x13: case 0x21: case 0x22: case 0x23:
      c.skip(2);
      return true;
    case 0x02: case 0x11: case 0x18: case 0x27:
      c.skip(4);
      return true;
    case 0x0B:
      c.varint();
      return true;
    case 0x03: case 0x08: case 0x09: case 0x12: case 0x15: case 0x16: case 0x1A: case 0x1C:
    case 0x1F:
      c.string();
      return true;
    case 0x26:
      c.string();
      c.string();
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<ScannedPublish> scan_publish_v5(std::span<const std::uint8_t> frame,
                                              std::size_t header_size) {
  if (frame.size() < header_size || header_size == 0) return std::nullopt;
  ScannedPublish p;
  p.qos = static_cast<std::uint8_t>((frame[0] >> 1) & 0x03);
  Cursor c(frame.subspan(header_size));
  p.topic = c.string();
  if (p.qos > 0) p.packet_id = c.u16();
  const std::uint32_t length = c.varint();
  if (!c.ok()) return std::nullopt;
  const std::size_t end = c.at() + length;
  while (c.ok() && c.at() < end) {
    const std::uint8_t id = c.byte();
    switch (id) {
      case 0x08: p.response_topic = c.string(); break;
      case 0x09: p.correlation = c.string(); break;
      case 0x26: {
        const std::string_view name = c.string();
        const std::string_view value = c.string();
        if (name == "svc-status") p.svc_status = value;
        if (name == "svc-error") p.svc_error = value;
        break;
      }
      default:
        if (!skip_value(c, id)) return std::nullopt;
    }
  }
  if (!c.ok() || c.at() != end) return std::nullopt;
  p.payload = frame.subspan(header_size + end);
  return p;
}

}  // namespace arkmq::bench
