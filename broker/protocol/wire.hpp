// Bounds-checked primitives of the MQTT wire format (spec 1.5): reader and the two encoder sinks.
// Internal to arkmq_protocol; value types used on the calling thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/protocol/reason_code.hpp"
#include "broker/protocol/topic.hpp"

namespace arkmq::protocol {

inline constexpr std::uint32_t max_variable_byte_integer = 268'435'455;

constexpr std::size_t variable_byte_integer_size(std::uint32_t value) {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20'0000 ? 3 : 4;
}

// Reads from a byte span. The first failure is sticky: it records the reason, empties the
// reader and makes every later read return zero, so callers check ok() at the end of a step.
class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> data) : data_(data) {}

  bool ok() const { return !error_; }
  ReasonCode error() const { return error_.value_or(ReasonCode::success); }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }

  void fail(ReasonCode reason) {
    if (!error_) error_ = reason;
    pos_ = data_.size();
  }

  std::uint8_t u8() {
    if (remaining() < 1) return fail_zero();
    return data_[pos_++];
  }

  std::uint16_t u16() {
    if (remaining() < 2) return fail_zero();
    const auto value = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return value;
  }

  std::uint32_t u32() {
    if (remaining() < 4) return fail_zero();
    const std::uint32_t value = (std::uint32_t{data_[pos_]} << 24) |
                                (std::uint32_t{data_[pos_ + 1]} << 16) |
                                (std::uint32_t{data_[pos_ + 2]} << 8) | data_[pos_ + 3];
    pos_ += 4;
    return value;
  }

  // Variable Byte Integer (1.5.5): at most four bytes.
  std::uint32_t varint() {
    std::uint32_t value = 0;
    for (int shift = 0; shift < 28; shift += 7) {
      if (empty()) return fail_zero();
      const std::uint8_t byte = data_[pos_++];
      value |= std::uint32_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return fail_zero();
  }

  // The next `size` bytes as a view, or an empty view after a failure.
  std::span<const std::uint8_t> take(std::size_t size) {
    if (remaining() < size) {
      fail(ReasonCode::malformed_packet);
      return {};
    }
    const auto view = data_.subspan(pos_, size);
    pos_ += size;
    return view;
  }

  std::span<const std::uint8_t> rest() { return take(remaining()); }

  // Binary Data (1.5.6): two-byte length then bytes.
  std::string binary() {
    const auto view = take(u16());
    return {reinterpret_cast<const char*>(view.data()), view.size()};
  }

  // UTF-8 Encoded String (1.5.4): malformed when ill-formed or containing U+0000 [MQTT-1.5.4-1/2].
  std::string utf8() {
    std::string text = binary();
    if (!is_valid_utf8(text)) fail(ReasonCode::malformed_packet);
    return text;
  }

 private:
  std::uint8_t fail_zero() {
    fail(ReasonCode::malformed_packet);
    return 0;
  }

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  std::optional<ReasonCode> error_;
};

// Encoder sink that appends to a byte vector (reserved beforehand from a SizeSink pass).
class ByteSink {
 public:
  explicit ByteSink(std::vector<std::uint8_t>& out) : out_(out) {}

  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) {
    out_.push_back(static_cast<std::uint8_t>(value >> 8));
    out_.push_back(static_cast<std::uint8_t>(value));
  }
  void u32(std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(value >> shift));
  }
  void varint(std::uint32_t value) {
    do {
      auto byte = static_cast<std::uint8_t>(value & 0x7F);
      value >>= 7;
      if (value != 0) byte |= 0x80;
      out_.push_back(byte);
    } while (value != 0);
  }
  void raw(std::string_view bytes) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    out_.insert(out_.end(), data, data + bytes.size());
  }
  // UTF-8 string and binary data share the wire form; the caller keeps it <= 65535 bytes.
  void string(std::string_view text) {
    u16(static_cast<std::uint16_t>(text.size()));
    raw(text);
  }

 private:
  std::vector<std::uint8_t>& out_;
};

// Encoder sink that only counts, so encoded_size and encode_packet share one code path.
class SizeSink {
 public:
  void u8(std::uint8_t) { size_ += 1; }
  void u16(std::uint16_t) { size_ += 2; }
  void u32(std::uint32_t) { size_ += 4; }
  void varint(std::uint32_t value) { size_ += variable_byte_integer_size(value); }
  void raw(std::string_view bytes) { size_ += bytes.size(); }
  void string(std::string_view text) { size_ += 2 + text.size(); }

  std::size_t size() const { return size_; }

 private:
  std::size_t size_ = 0;
};

}  // namespace arkmq::protocol
