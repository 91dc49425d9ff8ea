// AuditBridge: each core event becomes the row docs/audit.md promises (type, outcome, identity,
// details keys), payloads only on captured topics, acl_denial rows rate-limited per client; and
// admin changes are forwarded once, also across restarts.
#include "broker/app/audit_bridge.hpp"

#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "broker/app/admin_change_forwarder.hpp"
#include "broker/app/audit_wiring.hpp"
#include "storage/audit_reader.hpp"
#include "storage/audit_recording_sink.hpp"

namespace arkmq::app {
namespace {

using core::ClientIdentity;
using core::DeniedAction;
using core::DisconnectInitiator;
using core::PublishFacts;
using protocol::ReasonCode;
using storage::AuditEvent;
using storage::AuditOutcome;
using storage::AuditType;

std::span<const std::uint8_t> bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

nlohmann::json details(const AuditEvent& event) { return nlohmann::json::parse(event.details); }

std::string text(const std::optional<std::vector<std::byte>>& payload) {
  if (!payload) return "<none>";
  return {reinterpret_cast<const char*>(payload->data()), payload->size()};
}

class AuditBridgeTest : public ::testing::Test {
 protected:
  AuditBridgeTest() {
    connection.peer = "127.0.0.1:50412";
    connection.listener = "mqtt://127.0.0.1:1883";
  }
  AuditBridge make(AuditBridgeOptions options = {}) {
    options.clock = [this] { return now; };
    return AuditBridge(sink, std::move(options));
  }
  ClientIdentity alice() const { return ClientIdentity{"c1", "alice", &connection}; }

  core::ConnectionInfo connection;
  storage::RecordingAuditSink sink;
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
};

TEST_F(AuditBridgeTest, EveryRowCarriesClientPrincipalPeerAndListener) {
  AuditBridge bridge = make();
  bridge.subscribed(alice(), "a/+", ReasonCode::granted_qos_1);
  const auto rows = sink.events();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].client_id, "c1");
  EXPECT_EQ(rows[0].principal, "alice");
  EXPECT_EQ(rows[0].peer, "127.0.0.1:50412");
  EXPECT_EQ(rows[0].listener, "mqtt://127.0.0.1:1883");
  EXPECT_EQ(rows[0].topic, "a/+");
  EXPECT_EQ(rows[0].outcome, AuditOutcome::allow);
  EXPECT_EQ(details(rows[0]), nlohmann::json::parse(R"({"qos":1,"reason":"granted QoS 1"})"));
}

TEST_F(AuditBridgeTest, ConnectionAcceptedAndTlsFailureNameThePeer) {
  AuditBridge bridge = make();
  bridge.connection_accepted(connection);
  bridge.tls_failure(connection, "wrong version number");
  const auto rows = sink.events();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].type, AuditType::connection_accepted);
  EXPECT_EQ(rows[0].peer, connection.peer);
  EXPECT_EQ(rows[1].type, AuditType::tls_failure);
  EXPECT_EQ(rows[1].outcome, AuditOutcome::deny);
  EXPECT_EQ(rows[1].listener, connection.listener);
  EXPECT_EQ(details(rows[1])["reason"], "wrong version number");
}

TEST_F(AuditBridgeTest, LoginsBecomeAuthSuccessOrFailureWithReasonMethodAndUsername) {
  AuditBridge bridge = make();
  bridge.login(alice(), "alice", ReasonCode::success, "password");
  bridge.login(ClientIdentity{"c2", "", &connection}, "mallory",
               ReasonCode::bad_user_name_or_password, "unknown user");
  bridge.login(ClientIdentity{"c3", "", &connection}, std::nullopt, ReasonCode::success, "");
  const auto rows = sink.events();
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].type, AuditType::auth_success);
  EXPECT_EQ(rows[0].outcome, AuditOutcome::allow);
  EXPECT_EQ(details(rows[0])["method"], "password");
  EXPECT_EQ(details(rows[0])["username"], "alice");
  EXPECT_EQ(details(rows[0])["reason"], protocol::to_string(ReasonCode::success));
  EXPECT_EQ(rows[1].type, AuditType::auth_failure);
  EXPECT_EQ(rows[1].outcome, AuditOutcome::deny);
  EXPECT_EQ(details(rows[1])["reason"], protocol::to_string(ReasonCode::bad_user_name_or_password));
  EXPECT_EQ(details(rows[1])["username"], "mallory");
  EXPECT_EQ(details(rows[1])["why"], "unknown user");
  EXPECT_EQ(details(rows[2])["method"], "anonymous");
  EXPECT_FALSE(details(rows[2]).contains("username"));
}

TEST_F(AuditBridgeTest, CertificateLoginsAreNamedSo) {
  connection.certificate_principal = "device-7";
  EXPECT_EQ(login_method(&connection, std::nullopt, "device-7", true), "certificate");
  connection.policy.require_password = true;
  EXPECT_EQ(login_method(&connection, "device-7", "device-7", true), "password");
  EXPECT_EQ(login_method(&connection, std::nullopt, "", false), "certificate");
}

TEST_F(AuditBridgeTest, DisconnectNamesReasonAndInitiator) {
  AuditBridge bridge = make();
  bridge.disconnected(alice(), ReasonCode::session_taken_over, DisconnectInitiator::broker,
                      "session taken over");
  bridge.disconnected(alice(), ReasonCode::success, DisconnectInitiator::client, "");
  bridge.disconnected(alice(), ReasonCode::unspecified_error, DisconnectInitiator::transport, "");
  const auto rows = sink.events_of(AuditType::disconnect);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(details(rows[0])["reason"], "session taken over");
  EXPECT_EQ(details(rows[0])["initiator"], "broker");
  EXPECT_EQ(details(rows[1])["initiator"], "client");
  EXPECT_EQ(details(rows[2])["initiator"], "transport");
}

TEST_F(AuditBridgeTest, DeniedSubscriptionIsOneAclDenialRowAndNoSubscribeRow) {
  AuditBridge bridge = make();
  bridge.denied(alice(), DeniedAction::subscribe, "secret/#", nullptr);
  bridge.subscribed(alice(), "secret/#", ReasonCode::not_authorized);
  bridge.subscribed(alice(), "bad/#/x", ReasonCode::topic_filter_invalid);
  const auto rows = sink.events();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].type, AuditType::acl_denial);
  EXPECT_EQ(rows[0].outcome, AuditOutcome::deny);
  EXPECT_EQ(rows[0].topic, "secret/#");
  EXPECT_EQ(details(rows[0])["action"], "subscribe");
  // Refused for another reason: a subscribe row with outcome deny and no qos.
  EXPECT_EQ(rows[1].type, AuditType::subscribe);
  EXPECT_EQ(rows[1].outcome, AuditOutcome::deny);
  EXPECT_FALSE(details(rows[1]).contains("qos"));
}

TEST_F(AuditBridgeTest, PublishRowHasQosRetainSizeAndNoPayloadUnlessCaptured) {
  AuditBridgeOptions options;
  options.capture_payloads = {"cmd/#"};
  AuditBridge bridge = make(options);
  bridge.published(alice(), PublishFacts{"data/x", 1, true, bytes("0123456789")});
  bridge.published(alice(), PublishFacts{"cmd/reboot", 0, false, bytes("now")});
  const auto rows = sink.events_of(AuditType::publish);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(details(rows[0]), nlohmann::json::parse(R"({"qos":1,"retain":true,"size":10})"));
  EXPECT_FALSE(rows[0].payload);
  EXPECT_EQ(text(rows[1].payload), "now");
}

TEST_F(AuditBridgeTest, PublishesNoneSkipsAcceptedPublishesButNotDenials) {
  AuditBridgeOptions options;
  options.publishes = false;
  AuditBridge bridge = make(options);
  const PublishFacts facts{"secret/x", 1, false, bytes("y")};
  bridge.published(alice(), facts);
  bridge.denied(alice(), DeniedAction::publish, facts.topic, &facts);
  const auto rows = sink.events();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].type, AuditType::acl_denial);
  EXPECT_EQ(details(rows[0]), nlohmann::json::parse(R"({"action":"publish","qos":1,"size":1})"));
  EXPECT_FALSE(rows[0].payload);
}

TEST_F(AuditBridgeTest, DeniedPayloadIsKeptOnlyOnACapturedTopic) {
  AuditBridgeOptions options;
  options.capture_payloads = {"secret/captured/#"};
  AuditBridge bridge = make(options);
  const PublishFacts kept{"secret/captured/x", 1, false, bytes("evidence")};
  const PublishFacts hidden{"secret/plain", 1, false, bytes("private")};
  bridge.denied(alice(), DeniedAction::publish, kept.topic, &kept);
  bridge.denied(alice(), DeniedAction::publish, hidden.topic, &hidden);
  const auto rows = sink.events();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(text(rows[0].payload), "evidence");
  EXPECT_FALSE(rows[1].payload);
}

TEST_F(AuditBridgeTest, AclDenialsAreLimitedPerClientAndTheSuppressedAreCounted) {
  AuditBridge bridge = make();
  const PublishFacts facts{"watch/door", 0, false, bytes("x")};
  for (int i = 0; i < 50; ++i) bridge.denied(alice(), DeniedAction::receive, facts.topic, &facts);
  // Another client has its own budget.
  bridge.denied(ClientIdentity{"c2", "bob", &connection}, DeniedAction::receive, facts.topic,
                &facts);
  EXPECT_EQ(sink.events_of(AuditType::acl_denial).size(), 21U);

  now += std::chrono::seconds(1);
  bridge.denied(alice(), DeniedAction::receive, facts.topic, &facts);
  const auto rows = sink.events_of(AuditType::acl_denial);
  ASSERT_EQ(rows.size(), 22U);
  EXPECT_EQ(details(rows.back())["suppressed"], 30);
  EXPECT_FALSE(details(rows.front()).contains("suppressed"));
}

TEST_F(AuditBridgeTest, SuppressedDenialsAreCountedInTheDisconnectRow) {
  AuditBridge bridge = make();
  for (int i = 0; i < 25; ++i) bridge.denied(alice(), DeniedAction::receive, "t", nullptr);
  bridge.disconnected(alice(), ReasonCode::success, DisconnectInitiator::client, "");
  const auto rows = sink.events_of(AuditType::disconnect);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(details(rows[0])["suppressed_denials"], 5);
}

TEST_F(AuditBridgeTest, QuotaHitIsAQuotaHitRowWithTheKindAndDetail) {
  AuditBridge bridge = make();
  bridge.quota_hit(alice(), core::QuotaKind::message_rate, "message rate over 10 msgs/s");
  const auto rows = sink.events_of(AuditType::quota_hit);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].client_id, "c1");
  EXPECT_EQ(rows[0].principal, "alice");
  EXPECT_EQ(rows[0].outcome, AuditOutcome::deny);
  EXPECT_EQ(details(rows[0]), nlohmann::json::parse(
                                  R"({"quota":"message_rate","detail":"message rate over 10 msgs/s"})"));
}

TEST_F(AuditBridgeTest, HitsWithoutAClientIdAreLimitedPerSourceAddress) {
  AuditBridge bridge = make();
  const auto from = [](std::string peer) {
    core::ConnectionInfo info;
    info.peer = std::move(peer);
    return info;
  };
  const core::ConnectionInfo first = from("192.0.2.7:4000");
  const core::ConnectionInfo same_address = from("192.0.2.7:4001");
  const core::ConnectionInfo other = from("192.0.2.8:4000");
  bridge.quota_hit(ClientIdentity{{}, {}, &first}, core::QuotaKind::connections, "ban");
  bridge.quota_hit(ClientIdentity{{}, {}, &same_address}, core::QuotaKind::connections, "ban");
  bridge.quota_hit(ClientIdentity{{}, {}, &other}, core::QuotaKind::connections, "ban");
  EXPECT_EQ(sink.events_of(AuditType::quota_hit).size(), 2U);  // one per address
}

TEST_F(AuditBridgeTest, QuotaHitsAreOneRowPerSecondPerClientAndKind) {
  AuditBridge bridge = make();
  for (int i = 0; i < 10; ++i) bridge.quota_hit(alice(), core::QuotaKind::message_rate, "r");
  bridge.quota_hit(alice(), core::QuotaKind::subscriptions, "s");  // another kind: its own row
  bridge.quota_hit(ClientIdentity{"c2", "bob", &connection}, core::QuotaKind::message_rate, "r");
  EXPECT_EQ(sink.events_of(AuditType::quota_hit).size(), 3U);
  now += std::chrono::milliseconds(999);
  bridge.quota_hit(alice(), core::QuotaKind::message_rate, "r");
  EXPECT_EQ(sink.events_of(AuditType::quota_hit).size(), 3U);
  now += std::chrono::milliseconds(1);
  bridge.quota_hit(alice(), core::QuotaKind::message_rate, "r");
  const auto rows = sink.events_of(AuditType::quota_hit);
  ASSERT_EQ(rows.size(), 4U);
  EXPECT_EQ(details(rows.back())["suppressed"], 10);
  EXPECT_FALSE(details(rows.front()).contains("suppressed"));
}

core::ServiceCallFacts call_facts(std::string_view status) {
  core::ServiceCallFacts call;
  call.service = "plc";
  call.method = "read";
  call.node = "edge-1";
  call.status = status;
  call.correlation = std::string_view("\x01\xab\x00z", 4);
  call.latency = std::chrono::microseconds(1500);
  call.request_bytes = 12;
  call.reply_bytes = 34;
  return call;
}

TEST_F(AuditBridgeTest, ServiceCallIsOneRowOnTheCallTopicWithTheCallsFacts) {
  AuditBridge bridge = make();
  bridge.service_call(alice(), call_facts("ok"));
  const auto rows = sink.events_of(AuditType::service_call);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].topic, "$svc/call/plc/read");
  EXPECT_EQ(rows[0].outcome, AuditOutcome::allow);
  EXPECT_EQ(rows[0].client_id, "c1");
  EXPECT_EQ(rows[0].principal, "alice");
  EXPECT_EQ(rows[0].peer, connection.peer);
  EXPECT_EQ(details(rows[0]), nlohmann::json::parse(R"({"caller":"alice","service":"plc",
      "method":"read","node":"edge-1","correlation":"01ab007a","status":"ok","latency_us":1500,
      "request_bytes":12,"reply_bytes":34})"));
}

TEST_F(AuditBridgeTest, ServiceCallOutcomeIsDenyForRefusalsAndErrorOtherwise) {
  AuditBridge bridge = make();
  const std::vector<std::pair<std::string, AuditOutcome>> cases{
      {"ok", AuditOutcome::allow},
      {"denied", AuditOutcome::deny},
      {"quota_exceeded", AuditOutcome::deny},
      {"no_such_service", AuditOutcome::error},
      {"no_node_available", AuditOutcome::error},
      {"timeout", AuditOutcome::error},
      {"backend_error", AuditOutcome::error},
      {"bad_request", AuditOutcome::error},
  };
  for (const auto& [status, outcome] : cases) {
    core::ServiceCallFacts call = call_facts(status);
    if (status != "ok") call.error = "it failed";
    bridge.service_call(alice(), call);
    const auto rows = sink.events_of(AuditType::service_call);
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows.back().outcome, outcome) << status;
    EXPECT_EQ(details(rows.back())["status"], status);
    if (status == "ok") {
      EXPECT_FALSE(details(rows.back()).contains("error"));
    } else {
      EXPECT_EQ(details(rows.back())["error"], "it failed") << status;
    }
  }
  EXPECT_EQ(sink.events_of(AuditType::service_call).size(), cases.size());  // never rate-limited
}

TEST_F(AuditBridgeTest, ACallOfAnOfflineCallerWithoutANodeStillHasItsRow) {
  AuditBridge bridge = make();
  core::ServiceCallFacts call = call_facts("timeout");
  call.node = "";
  bridge.service_call(ClientIdentity{"c1", "alice", nullptr}, call);
  const auto rows = sink.events_of(AuditType::service_call);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].peer, "");
  EXPECT_EQ(details(rows[0])["node"], "");
}

TEST_F(AuditBridgeTest, DroppedServiceMessageIsAnErrorRowOncePerSecondPerClient) {
  AuditBridge bridge = make();
  for (int i = 0; i < 5; ++i) bridge.service_dropped(alice(), "$svc/reply/edge-1/x", "late reply");
  bridge.service_dropped(ClientIdentity{"c2", "bob", &connection}, "$svc/call/a/b",
                         "service calls need MQTT 5");
  // A quota hit of the same client has a window of its own.
  bridge.quota_hit(alice(), core::QuotaKind::message_rate, "r");
  auto rows = sink.events_of(AuditType::service_call);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].outcome, AuditOutcome::error);
  EXPECT_EQ(rows[0].topic, "$svc/reply/edge-1/x");
  EXPECT_EQ(rows[0].principal, "alice");
  EXPECT_EQ(details(rows[0]), nlohmann::json::parse(R"({"dropped":"late reply"})"));
  EXPECT_EQ(details(rows[1])["dropped"], "service calls need MQTT 5");
  EXPECT_EQ(sink.events_of(AuditType::quota_hit).size(), 1U);
  now += std::chrono::seconds(1);
  bridge.service_dropped(alice(), "$svc/reply/edge-1/y", "duplicate reply");
  rows = sink.events_of(AuditType::service_call);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(details(rows[2]), nlohmann::json::parse(R"({"dropped":"duplicate reply","suppressed":4})"));
}

TEST_F(AuditBridgeTest, RegistryChangesAreNotJournaled) {
  AuditBridge bridge = make();
  bridge.service_registry_changed("plc", 2);  // no gauge set: nothing happens
  EXPECT_TRUE(sink.events().empty());
}

TEST(AuditWiring, SettingsBecomeJournalAndBridgeOptions) {
  AuditConfig config;
  config.capture_payloads = {"a/#"};
  config.overflow = AuditOverflow::block;
  config.queue_capacity = 10;
  config.max_age_days = 2;
  config.max_rows = 100;
  config.publishes = AuditPublishes::none;
  const storage::AuditJournalOptions journal = journal_options(config);
  EXPECT_TRUE(journal.capture_payloads);
  EXPECT_EQ(journal.overflow, storage::OverflowPolicy::block);
  EXPECT_EQ(journal.security_overflow, storage::OverflowPolicy::block);
  EXPECT_EQ(journal.capacity, 10U);
  EXPECT_EQ(journal.retention.max_age, std::chrono::seconds(2 * 86400));
  EXPECT_EQ(journal.retention.max_rows, std::optional<std::int64_t>(100));
  EXPECT_FALSE(bridge_options(config).publishes);
  EXPECT_FALSE(journal_options(AuditConfig{}).capture_payloads);
  EXPECT_FALSE(journal_options(AuditConfig{}).retention.enabled());
}

// Real files: the configuration database and the journal in a temporary data directory.
class AdminChanges : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir = std::filesystem::temp_directory_path() / ("arkmq-audit-" + std::to_string(random()));
    std::filesystem::create_directories(dir);
    auto opened = storage::ConfigStore::open(storage::config_db_path(dir.string()));
    ASSERT_TRUE(opened) << opened.error().message;
    store.emplace(std::move(*opened));
  }
  void TearDown() override {
    store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  void add_role(const std::string& name) {
    ASSERT_TRUE(store->add_role(name, {"operator", "role add"}));
  }
  std::string journal_path() const { return storage::audit_db_path(dir.string()); }
  // Opens the journal, forwards from where it left off, closes it; returns the rows forwarded.
  std::size_t run_broker() {
    auto journal = storage::AuditJournal::open(journal_path());
    EXPECT_TRUE(journal) << journal.error().message;
    auto last = last_journaled_admin_change(journal_path(), *store);
    EXPECT_TRUE(last) << last.error().message;
    AdminChangeForwarder forwarder(*store, *journal, *last);
    const std::size_t forwarded = forwarder.forward();
    EXPECT_TRUE(journal->flush());
    journal->close();
    return forwarded;
  }

  std::filesystem::path dir;
  std::optional<storage::ConfigStore> store;
};

TEST_F(AdminChanges, RowCarriesActorCommandChangeAndTheChangesTime) {
  add_role("ops");
  const auto changes = store->admin_changes_since(0, 10).value();
  ASSERT_EQ(changes.size(), 1U);
  const AuditEvent event = admin_change_event(changes[0]);
  EXPECT_EQ(event.type, AuditType::admin_change);
  EXPECT_EQ(event.time_us, changes[0].time_us);
  const auto json = details(event);
  EXPECT_EQ(json["actor"], "operator");
  EXPECT_EQ(json["command"], "role add");
  EXPECT_TRUE(json["change"].is_object()) << event.details;
  EXPECT_EQ(json["admin_id"], changes[0].id);
}

TEST_F(AdminChanges, EachChangeIsJournaledOnceAcrossRestarts) {
  add_role("a");
  add_role("b");
  EXPECT_EQ(run_broker(), 2U);
  EXPECT_EQ(run_broker(), 0U) << "journaled again after a restart";
  add_role("c");
  EXPECT_EQ(run_broker(), 1U);
  auto reader = storage::AuditReader::open(journal_path());
  ASSERT_TRUE(reader);
  storage::AuditFilter filter;
  filter.types = {AuditType::admin_change};
  EXPECT_EQ(reader->query(filter).value().size(), 3U);
}

}  // namespace
}  // namespace arkmq::app
