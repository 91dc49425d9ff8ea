// Reason code names and the v5 -> v3.1.1 CONNACK mapping.
#include "broker/protocol/reason_code.hpp"

#include <gtest/gtest.h>

namespace arkmq::protocol {
namespace {

TEST(ReasonCodeNames, EveryCodeHasTheSpecName) {
  EXPECT_EQ(to_string(ReasonCode::success), "success");
  EXPECT_EQ(to_string(ReasonCode::not_authorized), "not authorized");
  EXPECT_EQ(to_string(ReasonCode::quota_exceeded), "quota exceeded");
  EXPECT_EQ(to_string(ReasonCode::wildcard_subscriptions_not_supported),
            "wildcard subscriptions not supported");
  for (int byte = 0; byte < 256; ++byte) {
    const auto name = to_string(static_cast<ReasonCode>(byte));
    EXPECT_FALSE(name.empty()) << byte;
  }
}

TEST(ReasonCodeNames, ErrorsStartAt0x80) {
  EXPECT_FALSE(is_error(ReasonCode::no_matching_subscribers));
  EXPECT_TRUE(is_error(ReasonCode::unspecified_error));
  EXPECT_TRUE(is_error(ReasonCode::wildcard_subscriptions_not_supported));
}

TEST(V311ConnackCode, MapsTheSixReturnCodes) {
  EXPECT_EQ(to_v311_connack_code(ReasonCode::success), 0);
  EXPECT_EQ(to_v311_connack_code(ReasonCode::unsupported_protocol_version), 1);
  EXPECT_EQ(to_v311_connack_code(ReasonCode::client_identifier_not_valid), 2);
  EXPECT_EQ(to_v311_connack_code(ReasonCode::server_unavailable), 3);
  EXPECT_EQ(to_v311_connack_code(ReasonCode::bad_user_name_or_password), 4);
  EXPECT_EQ(to_v311_connack_code(ReasonCode::not_authorized), 5);
}

TEST(V311ConnackCode, MapsV5OnlyCodesToTheClosestReturnCode) {
  EXPECT_EQ(to_v311_connack_code(ReasonCode::banned), 5);
  EXPECT_EQ(to_v311_connack_code(ReasonCode::bad_authentication_method), 4);
  EXPECT_EQ(to_v311_connack_code(ReasonCode::server_busy), 3);
  EXPECT_EQ(to_v311_connack_code(ReasonCode::quota_exceeded), 3);
}

}  // namespace
}  // namespace arkmq::protocol
