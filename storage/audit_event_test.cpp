// Unit tests for the audit event names, hashes in hex and the details JSON builder.
// Owned by the audit engineer.
#include "storage/audit_event.hpp"

#include <gtest/gtest.h>

#include "storage/audit_recording_sink.hpp"

namespace arkmq::storage {
namespace {

TEST(AuditType, EveryTypeRoundTripsThroughItsName) {
  EXPECT_EQ(all_audit_types().size(), 14U);
  for (AuditType type : all_audit_types()) {
    auto parsed = audit_type_from_string(to_string(type));
    ASSERT_TRUE(parsed) << to_string(type);
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(to_string(AuditType::auth_failure), "auth_failure");
  EXPECT_FALSE(audit_type_from_string("auth-failure"));
  EXPECT_FALSE(audit_type_from_string(""));
}

TEST(AuditOutcome, EveryOutcomeRoundTripsThroughItsName) {
  for (AuditOutcome outcome : {AuditOutcome::allow, AuditOutcome::deny, AuditOutcome::error}) {
    EXPECT_EQ(audit_outcome_from_string(to_string(outcome)), outcome);
  }
  EXPECT_FALSE(audit_outcome_from_string("Allow"));
}

TEST(AuditType, SecurityEventsAreAuthAclQuotaAdminAndTls) {
  for (AuditType type : all_audit_types()) {
    const bool expected = type == AuditType::auth_success || type == AuditType::auth_failure ||
                          type == AuditType::acl_denial || type == AuditType::quota_hit ||
                          type == AuditType::admin_change || type == AuditType::tls_failure;
    EXPECT_EQ(is_security_event(type), expected) << to_string(type);
  }
}

TEST(AuditHash, HexRoundTripsAndRejectsBadInput) {
  AuditHash hash{};
  for (std::size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const std::string hex = to_hex(hash);
  EXPECT_EQ(hex.size(), 64U);
  EXPECT_EQ(hex.substr(0, 4), "030a");
  EXPECT_EQ(audit_hash_from_hex(hex), hash);
  EXPECT_FALSE(audit_hash_from_hex(hex.substr(1)));
  EXPECT_FALSE(audit_hash_from_hex(std::string(64, 'g')));
}

TEST(AuditDetails, BuildsAJsonObjectWithEscapedStrings) {
  const std::string json = AuditDetails()
                               .add("reason", "bad \"password\"\n\x1b[31m")
                               .add("qos", 1)
                               .add("size", std::uint64_t{42})
                               .add("retain", true)
                               .add("path", "a\\b")
                               .str();
  EXPECT_EQ(json,
            R"({"reason":"bad \"password\"\n\u001b[31m","qos":1,"size":42,"retain":true,)"
            R"("path":"a\\b"})");
  EXPECT_EQ(AuditDetails().str(), "{}");
}

TEST(RecordingAuditSink, RecordsEventsInOrderAndByType) {
  RecordingAuditSink sink;
  AuditSink& as_sink = sink;
  AuditEvent failure;
  failure.type = AuditType::auth_failure;
  AuditEvent publish;
  publish.type = AuditType::publish;
  EXPECT_EQ(as_sink.submit(failure), AuditSubmit::queued);
  EXPECT_EQ(as_sink.submit(publish), AuditSubmit::queued);
  ASSERT_EQ(sink.events().size(), 2U);
  EXPECT_EQ(sink.events()[1].type, AuditType::publish);
  EXPECT_EQ(sink.events_of(AuditType::auth_failure).size(), 1U);
}

}  // namespace
}  // namespace arkmq::storage
