// How `arkmqctl audit` prints bytes it does not control (client ids, topics, principals, details
// and payloads come from the network): no control byte, ANSI escape or invalid UTF-8 reaches a
// terminal, a CSV reader or a JSON parser unescaped. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace arkmq::ctl {

enum class Spaces { keep, escape };

// C-style escapes: \\ \n \r \t, other ASCII controls and DEL as \xHH (ESC is \x1b), a byte that
// is not part of valid UTF-8 as \xHH, C1 controls and invisible or bidirectional formatting
// characters (U+200B..U+200F, U+2028..U+202E, U+2060..U+2069, U+FEFF) as \uXXXX. With
// Spaces::escape a space is \x20 too, so a text line splits on whitespace into its fields.
std::string escape_text(std::string_view bytes, Spaces spaces = Spaces::keep);

// `bytes` as valid UTF-8 for JSON: each byte that is not part of a valid UTF-8 sequence becomes
// the code point U+00XX (so 0xff reads "\u00ff" in ASCII JSON). `changed` tells whether any did.
std::string utf8_for_json(std::string_view bytes, bool& changed);

std::string hex_bytes(std::string_view bytes);       // lower-case, two digits per byte
std::string base64(std::span<const std::byte> bytes);  // RFC 4648, with padding

// One CSV field (RFC 4180): quoted, with doubled quotes, when it holds ',', '"', CR or LF.
std::string csv_field(std::string_view text);

// Pure-ASCII JSON: non-ASCII as \uXXXX, controls and DEL escaped; indent -1 is one line.
std::string dump_ascii(const nlohmann::ordered_json& value, int indent = -1);

}  // namespace arkmq::ctl
