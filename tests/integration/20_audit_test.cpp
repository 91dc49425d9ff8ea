// 20 audit journal events: each thing a client or an administrator does shows up in
// <data dir>/audit.db as the row docs/audit.md promises (type, outcome, client id, principal,
// peer, listener, topic, details, payload only when captured), read back with
// `arkmqctl audit query --json` while the broker runs. Passwords never reach the journal.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "tests/support/audit_helpers.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

bool is_loopback_peer(const std::string& peer, std::uint16_t broker_port) {
  static const std::regex form(R"(127\.0\.0\.1:([0-9]{1,5}))");
  std::smatch m;
  return std::regex_match(peer, m, form) && std::stoi(m[1].str()) != broker_port;
}

class AuditEvents : public AuditTest {
 protected:
  // The row is about this connection: client id, principal, a loopback peer, this listener.
  void expect_identity(const AuditRow& row, const std::string& client_id,
                       const std::string& principal) {
    EXPECT_EQ(row.client_id, client_id) << row.line;
    EXPECT_EQ(row.principal, principal) << row.line;
    EXPECT_TRUE(is_loopback_peer(row.peer, broker().port())) << row.line;
    EXPECT_EQ(row.listener, listener()) << row.line;
  }
  std::unique_ptr<UserSession> alice(int version, const std::string& client_id,
                                     const std::string& will_topic = "") {
    auto spec = login_spec(version, client_id, "alice", kAlicePassword);
    if (!will_topic.empty()) {
      spec.will_topic = will_topic;
      spec.will_payload = "alice-will";
      spec.will_qos = 1;
    }
    return std::make_unique<UserSession>(broker().port(), spec);
  }
};

RowPredicate of(const std::string& type, const std::string& client_id) {
  return [=](const AuditRow& row) { return row.type == type && row.client_id == client_id; };
}

TEST_F(AuditEvents, JournalIsOnByDefaultWithADataDirAndOffWhenDisabled) {
  start_store_broker(store_options());  // a data dir and no [audit] table
  const std::string id = unique_client_id("anonymous");
  ASSERT_EQ(connack_reason(broker().port(), wire::connect_spec(5, id)),
            std::optional<std::uint8_t>(0x87));
  expect_row({"--type", "auth_failure"}, of("auth_failure", id), "default journal");

  AuditSettings off;
  off.enabled = false;
  BrokerProcess disabled(audit_options(off));
  ASSERT_EQ(connack_reason(disabled.port(), wire::connect_spec(5, id)),
            std::optional<std::uint8_t>(0x87));
  ASSERT_TRUE(disabled.stop());  // a running journal would have committed the refusal by now
  EXPECT_FALSE(std::filesystem::exists(audit_db_file(disabled.data_dir())))
      << "[audit] enabled = false still wrote " << audit_db_file(disabled.data_dir());
}

TEST_F(AuditEvents, AcceptedConnectionAndLoginNameTheClientsPeerAndTheListener) {
  start_audit_broker();
  const std::string id = unique_client_id("alice");
  PinnedClient client(broker().port());
  ASSERT_EQ(client.connect(login_spec(5, id, "alice", kAlicePassword), Deadline(5s)),
            std::optional<std::uint8_t>(0x00));
  const auto accepted = expect_row(
      {"--type", "connection_accepted"},
      [&](const AuditRow& row) { return row.peer == client.peer(); },
      "connection_accepted from " + client.peer());
  if (accepted) {
    EXPECT_EQ(accepted->listener, listener()) << accepted->line;
    EXPECT_EQ(accepted->outcome, "allow") << accepted->line;
  }
  const auto login = expect_row({"--type", "auth_success"}, of("auth_success", id),
                                "auth_success of " + id);
  if (login) {
    EXPECT_EQ(login->outcome, "allow") << login->line;
    EXPECT_EQ(login->principal, "alice") << login->line;
    EXPECT_EQ(login->peer, client.peer()) << login->line;
    EXPECT_EQ(login->listener, listener()) << login->line;
    EXPECT_GT(login->seq, accepted ? accepted->seq : 0) << "login journaled before the accept";
  }
}

TEST_F(AuditEvents, FailedLoginIsJournaledWithAReasonAndNeverThePassword) {
  start_audit_broker();
  const std::string wrong_password = "Wr0ng-pw-never-journaled-7Qx";
  const std::string id = unique_client_id("guess");
  PinnedClient client(broker().port());
  ASSERT_EQ(client.connect(login_spec(5, id, "alice", wrong_password), Deadline(5s)),
            std::optional<std::uint8_t>(0x86));
  const auto failure = expect_row({"--type", "auth_failure"}, of("auth_failure", id),
                                  "auth_failure of " + id);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->outcome, "deny") << failure->line;
  EXPECT_EQ(failure->peer, client.peer()) << failure->line;
  EXPECT_EQ(failure->listener, listener()) << failure->line;
  EXPECT_FALSE(failure->detail("reason").empty()) << "no details.reason: " << failure->line;
  // A successful login too: the broker had the right password in hand as well.
  UserSession right(broker().port(), login_spec(5, unique_client_id("ok"), "alice",
                                                kAlicePassword));
  expect_row({"--type", "auth_success"}, [](const AuditRow& row) { return row.principal == "alice"; },
             "auth_success of alice");
  const AuditQuery all = query_audit(data_dir());
  ASSERT_TRUE(all.ok()) << all.error;
  EXPECT_EQ(all.run.out.find(wrong_password), std::string::npos) << "password in the query";
  EXPECT_EQ(all.run.out.find(kAlicePassword), std::string::npos) << "password in the query";
  ASSERT_TRUE(broker().stop());
  const std::string bytes = audit_file_bytes(data_dir());
  ASSERT_FALSE(bytes.empty()) << "no " << audit_db_file(data_dir());
  EXPECT_EQ(bytes.find(wrong_password), std::string::npos) << "wrong password in audit.db";
  EXPECT_EQ(bytes.find(kAlicePassword), std::string::npos) << "password in audit.db";
}

TEST_F(AuditEvents, TlsHandshakeFailuresAreJournaledWithPeerAndListener) {
  TestPki pki;
  BrokerOptions options = audit_options();
  options.tls = true;
  options.tls_files = {pki.server().cert, pki.server().key, pki.ca(), ""};
  options.require_client_cert = true;
  start_audit_broker(options);
  const std::string tls_listener = "mqtts://127.0.0.1:" + std::to_string(broker().tls_port());

  // Plain MQTT bytes on the TLS port.
  PinnedClient plain(broker().tls_port());
  plain.connect(wire::connect_spec(5, unique_client_id("plain")), Deadline(3s));
  const auto garbage = expect_row(
      {"--type", "tls_failure"}, [&](const AuditRow& row) { return row.peer == plain.peer(); },
      "tls_failure for plain MQTT from " + plain.peer());
  if (garbage) {
    EXPECT_EQ(garbage->listener, tls_listener) << garbage->line;
    EXPECT_NE(garbage->outcome, "allow") << garbage->line;
    EXPECT_FALSE(garbage->detail("reason").empty()) << garbage->line;
  }

  // A client certificate from another CA.
  PahoClient client(broker().ssl_uri(), unique_client_id("other-ca"), 5);
  auto connect = v5_options();
  connect.set_ssl(mqtt::ssl_options_builder()
                      .trust_store(pki.ca())
                      .enable_server_cert_auth(true)
                      .key_store(pki.other_ca_client().cert)
                      .private_key(pki.other_ca_client().key)
                      .finalize());
  EXPECT_THROW(client.connect(connect), mqtt::exception) << "a foreign CA's client was accepted";
  const auto foreign = expect_row(
      {"--type", "tls_failure"},
      [&](const AuditRow& row) { return row.peer != plain.peer(); },
      "tls_failure for a client certificate from another CA");
  if (foreign) {
    EXPECT_EQ(foreign->listener, tls_listener) << foreign->line;
    EXPECT_TRUE(is_loopback_peer(foreign->peer, broker().tls_port())) << foreign->line;
    EXPECT_NE(foreign->outcome, "allow") << foreign->line;
    EXPECT_FALSE(foreign->detail("reason").empty()) << foreign->line;
    EXPECT_TRUE(foreign->principal.empty()) << "an unverified certificate named a principal";
  }
}

TEST_F(AuditEvents, ClientDisconnectIsJournaledWithInitiatorClient) {
  start_audit_broker();
  const std::string id = unique_client_id("leaver");
  auto session = alice(5, id);
  session->disconnect();
  EXPECT_TRUE(session->raw().expect_closed(Deadline(5s)));
  const auto row = expect_row({"--client", id}, of("disconnect", id), "disconnect of " + id);
  ASSERT_TRUE(row);
  expect_identity(*row, id, "alice");
  EXPECT_EQ(row->detail("initiator"), "client") << row->line;
  EXPECT_FALSE(row->detail("reason").empty()) << row->line;
}

TEST_F(AuditEvents, SessionTakeoverIsJournaledWithInitiatorBroker) {
  start_audit_broker();
  const std::string id = unique_client_id("taken");
  auto first = alice(5, id);
  auto second = alice(5, id);  // the same principal takes the client id over
  EXPECT_TRUE(first->raw().expect_closed(Deadline(5s)));
  const auto taken = expect_row({"--client", id}, of("disconnect", id), "disconnect of the first");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->detail("initiator"), "broker") << taken->line;
  second->disconnect();
  EXPECT_TRUE(second->raw().expect_closed(Deadline(5s)));
  const auto left = expect_row(
      {"--client", id, "--type", "disconnect"},
      [&](const AuditRow& row) { return row.seq > taken->seq; }, "disconnect of the second");
  if (left) {
    EXPECT_EQ(left->detail("initiator"), "client") << left->line;
  }
}

TEST_F(AuditEvents, SubscribeAndUnsubscribeAreJournaledWithTheirDecision) {
  start_audit_broker();
  const std::string id = unique_client_id("subscriber");
  auto options = v5_options();
  options.set_user_name("alice");
  options.set_password(kAlicePassword);
  PahoClient client(uri(), id, 5);
  client.connect(options);
  ASSERT_EQ(static_cast<int>(client.subscribe("allowed/+", 1).at(0)), 1);
  ASSERT_EQ(static_cast<int>(client.subscribe("secret/#", 1).at(0)), 0x87);
  ASSERT_EQ(static_cast<int>(client.unsubscribe("allowed/+").at(0)), 0);

  const std::vector<std::string> mine{"--client", id};
  const auto granted = expect_row(
      mine, [](const AuditRow& r) { return r.type == "subscribe" && r.topic == "allowed/+"; },
      "subscribe allowed/+");
  if (granted) {
    expect_identity(*granted, id, "alice");
    EXPECT_EQ(granted->outcome, "allow") << granted->line;
    EXPECT_EQ(granted->detail("qos"), "1") << granted->line;
  }
  const auto denial = expect_row(
      mine, [](const AuditRow& r) { return r.type == "acl_denial" && r.topic == "secret/#"; },
      "acl_denial of subscribe secret/#");
  if (denial) {
    expect_identity(*denial, id, "alice");
    EXPECT_EQ(denial->outcome, "deny") << denial->line;
    EXPECT_EQ(denial->detail("action"), "subscribe") << denial->line;
  }
  // The authorizer's refusal is journaled once, as the acl_denial above (the broker writes no
  // second `subscribe` row for it); whatever else there is, nothing says it was allowed.
  const AuditQuery rows = query_audit(data_dir(), {"--client", id, "--topic", "secret/#"});
  ASSERT_TRUE(rows.ok()) << rows.error;
  for (const auto& row : rows.rows) EXPECT_EQ(row.outcome, "deny") << row.line;
  const auto unsubscribed = expect_row(
      mine, [](const AuditRow& r) { return r.type == "unsubscribe" && r.topic == "allowed/+"; },
      "unsubscribe allowed/+");
  if (unsubscribed) {
    expect_identity(*unsubscribed, id, "alice");
    EXPECT_EQ(unsubscribed->outcome, "allow") << unsubscribed->line;
  }
}

TEST_F(AuditEvents, AcceptedPublishIsJournaledWithQosRetainAndSizeButNoPayload) {
  start_audit_broker();
  const std::string id = unique_client_id("publisher");
  auto session = alice(5, id);
  ASSERT_TRUE(accepted(session->publish("allowed/data", "0123456789", 1, true)));
  ASSERT_TRUE(accepted(session->publish("allowed/more", "abc", 0, false)));
  const auto retained = expect_row({"--type", "publish", "--client", id},
                                   [](const AuditRow& r) { return r.topic == "allowed/data"; },
                                   "publish allowed/data");
  ASSERT_TRUE(retained);
  expect_identity(*retained, id, "alice");
  EXPECT_EQ(retained->outcome, "allow") << retained->line;
  EXPECT_EQ(retained->detail("qos"), "1") << retained->line;
  EXPECT_EQ(retained->detail("retain"), "true") << retained->line;
  EXPECT_EQ(retained->detail("size"), "10") << retained->line;
  EXPECT_FALSE(retained->payload) << "payload kept without capture_payloads: " << retained->line;
  const auto plain = expect_row({"--type", "publish", "--client", id},
                                [](const AuditRow& r) { return r.topic == "allowed/more"; },
                                "publish allowed/more");
  if (plain) {
    EXPECT_EQ(plain->detail("qos"), "0") << plain->line;
    EXPECT_EQ(plain->detail("retain"), "false") << plain->line;
    EXPECT_EQ(plain->detail("size"), "3") << plain->line;
  }
}

TEST_F(AuditEvents, OnlyPublishesOnCapturedTopicsKeepTheirPayload) {
  start_audit_broker(audit_options(capturing({"allowed/cmd/#"})));
  auto session = alice(5, unique_client_id("capture"));
  const std::string kept = "kept-payload-\x01\xfe-31";
  const std::string not_kept = "not-kept-payload-58";
  ASSERT_TRUE(accepted(session->publish("allowed/cmd/reboot", kept, 1)));
  ASSERT_TRUE(accepted(session->publish("allowed/telemetry", not_kept, 1)));
  const auto captured = expect_row({"--type", "publish", "--topic", "allowed/cmd/#"},
                                   [](const AuditRow&) { return true; }, "captured publish");
  ASSERT_TRUE(captured);
  EXPECT_EQ(captured->payload, std::optional<std::string>(kept)) << captured->line;
  const auto uncaptured = expect_row({"--type", "publish", "--topic", "allowed/telemetry"},
                                     [](const AuditRow&) { return true; }, "uncaptured publish");
  ASSERT_TRUE(uncaptured);
  EXPECT_FALSE(uncaptured->payload) << uncaptured->line;
  ASSERT_TRUE(broker().stop());
  const std::string bytes = audit_file_bytes(data_dir());
  EXPECT_NE(bytes.find(kept), std::string::npos) << "the captured payload is not in the file";
  EXPECT_EQ(bytes.find(not_kept), std::string::npos) << "an uncaptured payload is in the file";
}

TEST_F(AuditEvents, PublishesNoneStillJournalsDenials) {
  start_audit_broker(audit_options(journaling_publishes("none")));
  const std::string id = unique_client_id("quiet");
  auto session = alice(5, id);
  ASSERT_TRUE(accepted(session->publish("allowed/quiet", "x", 1)));
  ASSERT_EQ(session->publish("secret/loud", "y", 1), std::optional<std::uint8_t>(0x87));
  // The denial is journaled after the accepted publish of the same connection: once it is
  // there, a publish row would be too.
  const auto denial = expect_row({"--client", id}, of("acl_denial", id), "acl_denial");
  if (denial) {
    EXPECT_EQ(denial->topic, "secret/loud") << denial->line;
  }
  const AuditQuery publishes = query_audit(data_dir(), {"--type", "publish", "--outcome", "allow"});
  ASSERT_TRUE(publishes.ok()) << publishes.error;
  EXPECT_TRUE(publishes.rows.empty()) << "publishes = \"none\" journaled:\n"
                                      << describe(publishes.rows);
}

// Test 3: a refused PUBLISH is evidence, its payload is the user's data: kept only on a
// captured topic.
TEST_F(AuditEvents, DeniedPublishKeepsItsPayloadOnlyOnACapturedTopic) {
  start_audit_broker(audit_options(capturing({"secret/captured/#"})));
  const std::string id = unique_client_id("intruder");
  auto session = alice(5, id);
  const std::string hidden = "denied-secret-payload-4Rt";
  const std::string captured = "denied-captured-payload-9Lp";
  ASSERT_EQ(session->publish("secret/plain", hidden, 1), std::optional<std::uint8_t>(0x87));
  ASSERT_EQ(session->publish("secret/captured/x", captured, 1), std::optional<std::uint8_t>(0x87));
  const auto plain = expect_row({"--type", "acl_denial"}, [](const AuditRow& r) {
    return r.topic == "secret/plain";
  }, "acl_denial secret/plain");
  ASSERT_TRUE(plain);
  expect_identity(*plain, id, "alice");
  EXPECT_EQ(plain->outcome, "deny") << plain->line;
  EXPECT_EQ(plain->detail("action"), "publish") << plain->line;
  EXPECT_FALSE(plain->payload) << plain->line;
  const auto kept = expect_row({"--type", "acl_denial"}, [](const AuditRow& r) {
    return r.topic == "secret/captured/x";
  }, "acl_denial secret/captured/x");
  if (kept) {
    EXPECT_EQ(kept->payload, std::optional<std::string>(captured)) << kept->line;
  }

  const AuditQuery all = query_audit(data_dir());
  ASSERT_TRUE(all.ok()) << all.error;
  EXPECT_EQ(all.run.out.find(hidden), std::string::npos) << "payload in --json";
  for (const auto& row : all.rows) {
    if (row.payload) {
      EXPECT_EQ(row.payload->find(hidden), std::string::npos) << row.line;
    }
  }
  ASSERT_TRUE(broker().stop());
  const std::string bytes = audit_file_bytes(data_dir());
  EXPECT_EQ(bytes.find(hidden), std::string::npos) << "denied payload in audit.db";
  EXPECT_NE(bytes.find(captured), std::string::npos) << "captured denied payload not in audit.db";
}

TEST_F(AuditEvents, DeliveryRefusedToASubscriberIsJournaledAsAReceiveDenial) {
  start_audit_broker();
  admin().add_rule({"--allow", "--subscribe", "--topic", "watch/#", "--user", "alice"});
  const std::string id = unique_client_id("watcher");
  auto watcher = alice(5, id);
  ASSERT_EQ(watcher->subscribe("watch/#", 1), (std::vector<std::uint8_t>{1}));
  auto publisher = login(5, "admin", kAdminPassword);
  ASSERT_TRUE(accepted(publisher->publish("watch/door", "open", 1)));
  const auto denial = expect_row(
      {"--type", "acl_denial", "--client", id},
      [](const AuditRow& r) { return r.detail("action") == "receive"; }, "receive denial");
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->topic, "watch/door") << denial->line;
  EXPECT_EQ(denial->principal, "alice") << denial->line;
  EXPECT_EQ(denial->outcome, "deny") << denial->line;
  EXPECT_FALSE(denial->payload) << denial->line;
}

TEST_F(AuditEvents, WillWhosePublishRightWasRevokedIsJournaledAsAWillDenial) {
  start_audit_broker();
  const std::int64_t rule =
      admin().add_rule({"--allow", "--publish", "--topic", "wills/alice", "--user", "alice"});
  const std::string id = unique_client_id("will");
  auto session = alice(5, id, "wills/alice");
  admin().remove_rule(rule);
  ASSERT_TRUE(session->raw().send(wire::disconnect(5, 0x04)));  // with will message
  EXPECT_TRUE(session->raw().expect_closed(Deadline(5s)));
  const auto denial = expect_row(
      {"--type", "acl_denial", "--client", id},
      [](const AuditRow& r) { return r.detail("action") == "will"; }, "will denial");
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->topic, "wills/alice") << denial->line;
  EXPECT_EQ(denial->principal, "alice") << denial->line;
  EXPECT_EQ(denial->outcome, "deny") << denial->line;
}

TEST_F(AuditEvents, ArkmqctlChangesAreJournaledAsAdminChangesWithoutPasswords) {
  PolicyAdmin& admin = start_audit_broker();
  const std::string password = "carol-pw-never-journaled-3Vb";
  admin.add_user("carol", password);
  const auto change = expect_row(
      {"--type", "admin_change"},
      [](const AuditRow& r) { return r.line.find("carol") != std::string::npos; },
      "admin_change for user add carol");
  ASSERT_TRUE(change);
  EXPECT_NE(change->detail("command").find("user"), std::string::npos) << change->line;
  EXPECT_FALSE(change->detail("actor").empty()) << change->line;
  EXPECT_EQ(change->line.find(password), std::string::npos) << "password in the row";
  const AuditQuery all = query_audit(data_dir());
  EXPECT_EQ(all.run.out.find(password), std::string::npos);
  ASSERT_TRUE(broker().stop());
  EXPECT_EQ(audit_file_bytes(data_dir()).find(password), std::string::npos)
      << "password in audit.db";
}

}  // namespace
}  // namespace arkmq::test
