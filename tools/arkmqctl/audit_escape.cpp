// Escaping for audit output: one UTF-8 decoder (RFC 3629: no overlongs, no surrogates) shared by
// the text and JSON forms.
#include "tools/arkmqctl/audit_escape.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

namespace arkmq::ctl {

namespace {

// The length of the valid UTF-8 sequence at bytes[at] and its code point; 0 when invalid.
std::size_t utf8_sequence(std::string_view bytes, std::size_t at, char32_t& code_point) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[at + i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  } else if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    code_point = lead & 0x1fU;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    code_point = lead & 0x0fU;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    code_point = lead & 0x07U;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (at + length > bytes.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(i);
    const unsigned char min = i == 1 ? low : 0x80;
    const unsigned char max = i == 1 ? high : 0xbf;
    if (next < min || next > max) return 0;
    code_point = (code_point << 6U) | (next & 0x3fU);
  }
  return length;
}

// Characters that are valid but would hide or rearrange text on a terminal.
bool is_invisible(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

void append_hex_escape(std::string& out, unsigned char byte) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "\\x%02x", byte);
  out += text.data();
}

}  // namespace

std::string escape_text(std::string_view bytes, Spaces spaces) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t at = 0; at < bytes.size();) {
    char32_t cp = 0;
    const std::size_t length = utf8_sequence(bytes, at, cp);
    if (length == 0) {
      append_hex_escape(out, static_cast<unsigned char>(bytes[at]));
      ++at;
      continue;
    }
    if (length == 1) {
      const auto byte = static_cast<unsigned char>(cp);
      switch (byte) {
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (byte < 0x20 || byte == 0x7f || (byte == ' ' && spaces == Spaces::escape)) {
            append_hex_escape(out, byte);
          } else {
            out += static_cast<char>(byte);
          }
      }
    } else if (is_invisible(cp)) {
      std::array<char, 12> text{};
      std::snprintf(text.data(), text.size(), "\\u%04x", static_cast<unsigned>(cp));
      out += text.data();
    } else {
      out.append(bytes.substr(at, length));
    }
    at += length;
  }
  return out;
}

std::string utf8_for_json(std::string_view bytes, bool& changed) {
  changed = false;
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t at = 0; at < bytes.size();) {
    char32_t cp = 0;
    const std::size_t length = utf8_sequence(bytes, at, cp);
    if (length == 0) {
      // U+0080..U+00FF in UTF-8: two bytes.
      const auto byte = static_cast<unsigned char>(bytes[at]);
      out += static_cast<char>(0xc0U | (byte >> 6U));
      out += static_cast<char>(0x80U | (byte & 0x3fU));
      changed = true;
      ++at;
      continue;
    }
    out.append(bytes.substr(at, length));
    at += length;
  }
  return out;
}

std::string hex_bytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4U];
    out += kDigits[byte & 0x0fU];
  }
  return out;
}

std::string base64(std::span<const std::byte> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t at = 0;
  for (; at + 3 <= bytes.size(); at += 3) {
    const auto group = (std::to_integer<std::uint32_t>(bytes[at]) << 16U) |
                       (std::to_integer<std::uint32_t>(bytes[at + 1]) << 8U) |
                       std::to_integer<std::uint32_t>(bytes[at + 2]);
    out += kAlphabet[(group >> 18U) & 63U];
    out += kAlphabet[(group >> 12U) & 63U];
    out += kAlphabet[(group >> 6U) & 63U];
    out += kAlphabet[group & 63U];
  }
  const std::size_t rest = bytes.size() - at;
  if (rest > 0) {
    std::uint32_t group = std::to_integer<std::uint32_t>(bytes[at]) << 16U;
    if (rest == 2) group |= std::to_integer<std::uint32_t>(bytes[at + 1]) << 8U;
    out += kAlphabet[(group >> 18U) & 63U];
    out += kAlphabet[(group >> 12U) & 63U];
    out += rest == 2 ? kAlphabet[(group >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string dump_ascii(const nlohmann::ordered_json& value, int indent) {
  // Every string is valid UTF-8 by construction (utf8_for_json); `replace` only guards against
  // a caller that forgot. DEL is valid JSON but still a control character on a terminal.
  std::string text = value.dump(indent, ' ', true, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\x7f') {
      out += "\\u007f";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace arkmq::ctl
