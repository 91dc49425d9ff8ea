// Unit tests for the one failure -> wire behaviour mapping.
#include "broker/core/error_mapping.hpp"

#include <gtest/gtest.h>

namespace arkmq::core {
namespace {

using protocol::ProtocolVersion;
using protocol::ReasonCode;
using Kind = WireResponse::Kind;

TEST(ErrorMapping, ConnectFailuresAreConnackCodes) {
  const auto v5 = wire_response(ReasonCode::not_authorized, FailureStage::connect, ProtocolVersion::v5);
  EXPECT_EQ(v5.kind, Kind::connack);
  EXPECT_EQ(v5.code, ReasonCode::not_authorized);
  const auto v311 = wire_response(ReasonCode::bad_user_name_or_password, FailureStage::connect,
                                  ProtocolVersion::v311);
  EXPECT_EQ(v311.kind, Kind::connack);
  EXPECT_EQ(wire_response(ReasonCode::malformed_packet, FailureStage::connect, ProtocolVersion::v311).kind,
            Kind::close);
}

TEST(ErrorMapping, ConnectionFailuresAreDisconnectForV5AndCloseForV311) {
  const auto v5 = wire_response(ReasonCode::topic_alias_invalid, FailureStage::connection, ProtocolVersion::v5);
  EXPECT_EQ(v5.kind, Kind::disconnect);
  EXPECT_EQ(v5.code, ReasonCode::topic_alias_invalid);
  EXPECT_TRUE(v5.then_close);
  EXPECT_EQ(wire_response(ReasonCode::topic_name_invalid, FailureStage::connection, ProtocolVersion::v311).kind,
            Kind::close);
  EXPECT_EQ(wire_response(ReasonCode::protocol_error, FailureStage::before_connect, ProtocolVersion::v5).kind,
            Kind::close);
}

TEST(ErrorMapping, RefusedPublishIsNegativeAckForV5AndSuccessForV311) {
  const auto v5 = wire_response(ReasonCode::not_authorized, FailureStage::publish_ack, ProtocolVersion::v5);
  EXPECT_EQ(v5.kind, Kind::ack);
  EXPECT_EQ(v5.code, ReasonCode::not_authorized);
  EXPECT_FALSE(v5.then_close);
  EXPECT_EQ(wire_response(ReasonCode::not_authorized, FailureStage::publish_ack, ProtocolVersion::v311).code,
            ReasonCode::success);
}

TEST(ErrorMapping, RefusedFilterIs0x80ForV311) {
  EXPECT_EQ(wire_response(ReasonCode::topic_filter_invalid, FailureStage::subscription, ProtocolVersion::v311).code,
            ReasonCode::unspecified_error);
  EXPECT_EQ(wire_response(ReasonCode::topic_filter_invalid, FailureStage::subscription, ProtocolVersion::v5).code,
            ReasonCode::topic_filter_invalid);
}

}  // namespace
}  // namespace arkmq::core
