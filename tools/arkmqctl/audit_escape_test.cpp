// Escaping of bytes from the network for text, JSON and CSV output.
#include "tools/arkmqctl/audit_escape.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace arkmq::ctl {
namespace {

std::vector<std::byte> bytes(std::string_view text) {
  std::vector<std::byte> out;
  for (const char c : text) out.push_back(static_cast<std::byte>(c));
  return out;
}

TEST(AuditEscape, TextEscapesControlsAnsiAndBackslashes) {
  EXPECT_EQ(escape_text("plain/topic"), "plain/topic");
  EXPECT_EQ(escape_text("a\nb\r\tc\\d"), "a\\nb\\r\\tc\\\\d");
  EXPECT_EQ(escape_text("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(escape_text(std::string_view("\0\x7f", 2)), "\\x00\\x7f");
}

TEST(AuditEscape, TextEscapesSpacesOnlyWhenAsked) {
  EXPECT_EQ(escape_text("living room"), "living room");
  EXPECT_EQ(escape_text("living room", Spaces::escape), "living\\x20room");
}

TEST(AuditEscape, TextKeepsValidUtf8AndEscapesInvalidBytes) {
  EXPECT_EQ(escape_text("temp\xc3\xa9rature"), "temp\xc3\xa9rature");
  EXPECT_EQ(escape_text("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_text("\xc3"), "\\xc3");              // truncated sequence
  EXPECT_EQ(escape_text("\xc0\xaf"), "\\xc0\\xaf");     // overlong '/'
  EXPECT_EQ(escape_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
}

TEST(AuditEscape, TextEscapesC1ControlsAndBidiOverrides) {
  EXPECT_EQ(escape_text("\xc2\x9b" "31m"), "\\u009b31m");  // C1 CSI
  EXPECT_EQ(escape_text("abc\xe2\x80\xae" "def"), "abc\\u202edef");
}

TEST(AuditEscape, JsonMapsInvalidBytesToLatin1CodePoints) {
  bool changed = false;
  EXPECT_EQ(utf8_for_json("ok\xc3\xa9", changed), "ok\xc3\xa9");
  EXPECT_FALSE(changed);
  EXPECT_EQ(utf8_for_json("a\xff", changed), "a\xc3\xbf");
  EXPECT_TRUE(changed);
}

TEST(AuditEscape, DumpAsciiLeavesNoControlOrNonAsciiByte) {
  nlohmann::ordered_json value;
  value["s"] = "\x1b[2J\n\x7f\xc3\xa9";
  const std::string text = dump_ascii(value);
  EXPECT_EQ(text, R"({"s":"\u001b[2J\n\u007f\u00e9"})");
  EXPECT_EQ(nlohmann::json::parse(text)["s"], "\x1b[2J\n\x7f\xc3\xa9");
}

TEST(AuditEscape, Base64FollowsRfc4648) {
  EXPECT_EQ(base64(bytes("")), "");
  EXPECT_EQ(base64(bytes("f")), "Zg==");
  EXPECT_EQ(base64(bytes("fo")), "Zm8=");
  EXPECT_EQ(base64(bytes("foo")), "Zm9v");
  EXPECT_EQ(base64(bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64(bytes(std::string_view("\xff\x00\x80", 3))), "/wCA");
}

TEST(AuditEscape, CsvQuotesOnlyWhenNeeded) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field(""), "");
}

TEST(AuditEscape, HexIsLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(hex_bytes(std::string_view("\x00\xff" "A", 3)), "00ff41");
}

}  // namespace
}  // namespace arkmq::ctl
