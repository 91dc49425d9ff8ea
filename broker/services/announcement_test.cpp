// Tests for announcement parsing: valid bodies, every limit, and bounded random/truncated input.
#include "broker/services/announcement.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace arkmq::services {
namespace {

constexpr std::string_view kSpecExample =
    R"({"service": "plc", "version": "1.4.0", "description": "line 3 PLC gateway",
        "methods": ["read", "write"], "labels": {"site": "plant-3"},
        "available": true, "heartbeat_s": 10})";

std::string error_of(std::string_view service, std::string_view payload) {
  const auto result = parse_announcement(service, payload);
  return result ? std::string() : result.error();
}

TEST(Announcement, ParsesTheSpecExample) {
  const auto result = parse_announcement("plc", kSpecExample);
  ASSERT_TRUE(result) << result.error();
  ASSERT_TRUE(result->has_value());
  const Announcement& a = **result;
  EXPECT_EQ(a.service, "plc");
  EXPECT_EQ(a.version, "1.4.0");
  EXPECT_EQ(a.description, "line 3 PLC gateway");
  EXPECT_EQ(a.methods, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(a.labels.at("site"), "plant-3");
  EXPECT_TRUE(a.available);
  EXPECT_EQ(a.heartbeat, std::chrono::seconds(10));
}

TEST(Announcement, EmptyPayloadIsAWithdrawal) {
  const auto result = parse_announcement("plc", "");
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->has_value());
}

TEST(Announcement, DefaultsApplyAndUnknownFieldsAreDropped) {
  const auto result = parse_announcement(
      "plc", R"({"address": "10.0.0.7:502", "url": "http://x", "methods": ["b", "a", "a"]})");
  ASSERT_TRUE(result) << result.error();
  const Announcement& a = **result;
  EXPECT_EQ(a.methods, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(a.available);
  EXPECT_EQ(a.heartbeat, kDefaultHeartbeat);
  EXPECT_EQ(a.service, "plc");
}

TEST(Announcement, ServiceMustMatchTheTopic) {
  EXPECT_NE(error_of("plc", R"({"service": "other"})").find("does not match"), std::string::npos);
  EXPECT_FALSE(error_of("plc", R"({"service": 3})").empty());
  EXPECT_FALSE(error_of("$bad", R"({})").empty());
}

TEST(Announcement, RefusesWrongTypesAndBadNames) {
  for (const char* body : {
           R"([1, 2])", R"("text")", R"(null)", R"({"version": 1})",
           R"({"methods": "read"})", R"({"methods": ["a/b"]})", R"({"methods": ["+"]})",
           R"({"methods": [""]})", R"({"methods": [1]})", R"({"labels": ["x"]})",
           R"({"labels": {"a/b": "x"}})", R"({"labels": {"k": 1}})",
           R"({"available": "yes"})", R"({"available": 1})", R"({"heartbeat_s": 0})",
           R"({"heartbeat_s": -5})", R"({"heartbeat_s": 3601})", R"({"heartbeat_s": 1.5})",
           R"({"heartbeat_s": "10"})", R"({"heartbeat_s": 18446744073709551615})",
           R"({"description": "line\nbreak"})", R"({"methods": ["$x"]})",
           R"({"methods": ["%u"]})", R"({"methods": ["a*"]})"}) {
    EXPECT_FALSE(error_of("plc", body).empty()) << body;
  }
}

TEST(Announcement, RefusesMoreThan64Methods) {
  std::string body = R"({"methods": [)";
  for (int i = 0; i < 65; ++i) body += (i ? ",\"m" : "\"m") + std::to_string(i) + "\"";
  body += "]}";
  EXPECT_NE(error_of("plc", body).find("64"), std::string::npos);
  std::string ok = R"({"methods": [)";
  for (int i = 0; i < 64; ++i) ok += (i ? ",\"m" : "\"m") + std::to_string(i) + "\"";
  ok += "]}";
  EXPECT_TRUE(error_of("plc", ok).empty());
}

TEST(Announcement, RefusesMoreThan16KiB) {
  const std::string body =
      R"({"description": "x", "pad": ")" + std::string(kMaxAnnouncementBytes, 'p') + "\"}";
  EXPECT_NE(error_of("plc", body).find("16384"), std::string::npos);
}

TEST(Announcement, RefusesInvalidUtf8AndInvalidJson) {
  EXPECT_NE(error_of("plc", "{\"version\": \"\xC3\x28\"}").find("UTF-8"), std::string::npos);
  EXPECT_NE(error_of("plc", "{\"version\": ").find("JSON"), std::string::npos);
  EXPECT_NE(error_of("plc", std::string("{}\0", 3)).find("UTF-8"), std::string::npos);
}

// Every prefix of a valid body and bounded random mutations either parse or give a message;
// nothing throws or crashes.
TEST(Announcement, TruncatedAndRandomBodiesParseOrFailCleanly) {
  const std::string spec(kSpecExample);
  for (std::size_t n = 1; n < spec.size(); ++n) {
    const auto result = parse_announcement("plc", spec.substr(0, n));
    EXPECT_FALSE(result && *result) << n;  // a strict prefix of an object is never complete
  }
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  int parsed = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string body = spec;
    const int edits = 1 + round % 8;
    for (int e = 0; e < edits; ++e) {
      const auto pos = static_cast<std::size_t>(rng() % body.size());
      switch (rng() % 3) {
        case 0: body[pos] = static_cast<char>(byte(rng)); break;
        case 1: body.erase(pos, 1); break;
        default: body.insert(pos, 1, "{}[]\",:0a\\"[rng() % 10]); break;
      }
    }
    const auto result = parse_announcement("plc", body);
    if (result && *result) {
      ++parsed;
      EXPECT_EQ((*result)->service, "plc");
      EXPECT_LE((*result)->methods.size(), kMaxMethods);
    } else if (!result) {
      EXPECT_FALSE(result.error().empty());
    }
  }
  EXPECT_GT(parsed, 0);  // some mutations (e.g. in the description) stay valid
}

}  // namespace
}  // namespace arkmq::services
