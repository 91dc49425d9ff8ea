// 18 authorization: rules made with arkmqctl decide every publish, subscribe and delivery. A
// subscription to `#` leaks nothing (live or retained), `$`-topics are not publishable, no rule
// means deny, priorities decide, and `%u`/`%c` substitution of hostile names never widens an allow.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/arkmqctl.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

const std::string kAdminPassword = "admin-pw-9Kd2";
const std::string kAlicePassword = "alice-pw-Xq7v2";

std::vector<std::string> sorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

// The filter a rule `PREFIX/%x/#` would cover if `value` were pasted in as text (`#` cannot be
// followed by a level, so the valid filter it would stand for is `PREFIX/#`).
std::string what_substitution_would_grant(const std::string& prefix, const std::string& value) {
  return value == "#" ? prefix + "/#" : prefix + "/" + value + "/#";
}

// Every test has an "admin" who may do anything in the plain topic space, and "alice".
class Acl : public StoreTest {
 protected:
  PolicyAdmin& start_with_users(BrokerOptions options = store_options()) {
    PolicyAdmin& admin = start_store_broker(std::move(options));
    admin.add_user("admin", kAdminPassword);
    admin.add_rule({"--allow", "--all", "--topic", "#", "--user", "admin"});
    admin.add_user("alice", kAlicePassword);
    return admin;
  }
  std::unique_ptr<UserSession> admin_session(int version = 5) {
    return login(version, "admin", kAdminPassword);
  }
  std::unique_ptr<UserSession> alice_session(int version = 5) {
    return login(version, "alice", kAlicePassword);
  }
};

TEST_F(Acl, SubscriberToHashReceivesOnlyTopicsItMayReadLiveAndRetained) {
  PolicyAdmin& admin = start_with_users();
  admin.add_rule({"--allow", "--subscribe", "--topic", "#", "--user", "alice"});
  admin.add_rule({"--allow", "--receive", "--topic", "open/#", "--user", "alice"});
  auto publisher = admin_session();
  ASSERT_LT(publisher->publish("open/retained", "r-open", 1, true).value_or(0xFF), 0x80);
  ASSERT_LT(publisher->publish("secret/retained", "r-secret", 1, true).value_or(0xFF), 0x80);

  auto alice = alice_session();
  ASSERT_EQ(alice->subscribe("#", 1), (std::vector<std::uint8_t>{1}));
  ASSERT_LT(publisher->publish("secret/live", "l-secret", 1).value_or(0xFF), 0x80);
  ASSERT_LT(publisher->publish("open/live", "l-open", 1).value_or(0xFF), 0x80);
  ASSERT_LT(publisher->publish("secret/deep/er", "l-secret2", 1).value_or(0xFF), 0x80);
  ASSERT_LT(publisher->publish("open/marker", "marker", 1).value_or(0xFF), 0x80);

  const auto received = alice->receive_until("marker", Deadline(10s));
  ASSERT_TRUE(received.marker_seen) << "the allowed marker never arrived";
  EXPECT_EQ(sorted(topics_of(received.messages)),
            sorted({"open/retained", "open/live", "open/marker"}));
}

TEST_F(Acl, PublishToSysOrAnotherReservedTopicIsRefusedInV5) {
  PolicyAdmin& admin = start_with_users();
  // Even explicit allow rules do not open `$SYS` or a reserved `$`-topic to publishers.
  admin.add_rule({"--allow", "--publish", "--topic", "$SYS/#", "--user", "admin"});
  admin.add_rule({"--allow", "--publish", "--topic", "$private/#", "--user", "admin"});
  auto publisher = admin_session(5);
  EXPECT_EQ(publisher->publish("$SYS/x", "forged", 1), std::optional<std::uint8_t>(0x87));
  EXPECT_EQ(publisher->publish("$SYS/broker/version", "forged", 1),
            std::optional<std::uint8_t>(0x87));
  EXPECT_EQ(publisher->publish("$private/x", "forged", 1), std::optional<std::uint8_t>(0x87));
  // `$svc/` is publishable only where a service grant allows it; there is none.
  EXPECT_EQ(publisher->publish("$svc/x", "forged", 1), std::optional<std::uint8_t>(0x87));
  EXPECT_EQ(publisher->publish("$svc/call/plc/read", "forged", 1),
            std::optional<std::uint8_t>(0x87));
  // A refusal is per message: the connection stays and ordinary topics still work.
  EXPECT_LT(publisher->publish("plain/t", "ok", 1).value_or(0xFF), 0x80);
}

TEST_F(Acl, PublishToSysOrAnotherReservedTopicIsDroppedInV311) {
  PolicyAdmin& admin = start_with_users();
  admin.add_rule({"--allow", "--publish", "--topic", "$SYS/#", "--user", "admin"});
  admin.add_rule({"--allow", "--publish", "--topic", "$private/#", "--user", "admin"});
  admin.add_user("ops", "ops-pw-4Rt");
  for (const char* filter : {"$SYS/#", "$svc/#", "$private/#", "marker/#"}) {
    admin.add_rule({"--allow", "--subscribe", "--receive", "--topic", filter, "--user", "ops"});
  }
  auto watcher = login(5, "ops", "ops-pw-4Rt");
  for (const char* filter : {"$SYS/#", "$svc/#", "$private/#", "marker/#"}) {
    ASSERT_EQ(watcher->subscribe(filter, 1), (std::vector<std::uint8_t>{1})) << filter;
  }
  auto publisher = admin_session(4);
  // 3.1.1 acknowledgements carry no reason: PUBACK, and the message is dropped.
  for (const char* topic : {"$SYS/x", "$private/x", "$svc/x"}) {
    EXPECT_EQ(publisher->publish(topic, "forged", 1), std::optional<std::uint8_t>(0)) << topic;
  }
  ASSERT_LT(publisher->publish("marker/end", "marker", 1).value_or(0xFF), 0x80);
  const auto received = watcher->receive_until("marker", Deadline(10s));
  ASSERT_TRUE(received.marker_seen);
  for (const auto& message : received.messages) {
    EXPECT_NE(message.payload, "forged") << "delivered on " << message.topic;
  }
}

TEST_F(Acl, UserWithoutRulesCanNeitherPublishNorSubscribe) {
  start_with_users();
  auto v5 = alice_session(5);
  EXPECT_EQ(v5->publish("any/t", "x", 1), std::optional<std::uint8_t>(0x87));
  EXPECT_EQ(v5->subscribe("any/t", 1), (std::vector<std::uint8_t>{0x87}));
  EXPECT_EQ(v5->subscribe("#", 1), (std::vector<std::uint8_t>{0x87}));

  auto watcher = admin_session(5);
  ASSERT_EQ(watcher->subscribe("#", 1), (std::vector<std::uint8_t>{1}));
  auto v311 = alice_session(4);
  EXPECT_EQ(v311->subscribe("any/t", 1), (std::vector<std::uint8_t>{0x80}));
  EXPECT_EQ(v311->publish("any/t", "dropped", 1), std::optional<std::uint8_t>(0));
  ASSERT_LT(watcher->publish("any/marker", "marker", 1).value_or(0xFF), 0x80);
  const auto received = watcher->receive_until("marker", Deadline(10s));
  ASSERT_TRUE(received.marker_seen);
  EXPECT_EQ(topics_of(received.messages), (std::vector<std::string>{"any/marker"}));
}

TEST_F(Acl, HigherPriorityDecidesAndDenyWinsATie) {
  PolicyAdmin& admin = start_with_users();
  auto rule = [&](const char* effect, const char* topic, const char* priority) {
    admin.add_rule({effect, "--publish", "--topic", topic, "--user", "alice", "--priority",
                    priority});
  };
  rule("--allow", "prio/#", "1");
  rule("--deny", "prio/secret/#", "10");  // a higher deny beats a broader allow
  rule("--deny", "low/#", "1");
  rule("--allow", "low/open", "7");  // a higher allow beats a broader deny
  rule("--allow", "tie/#", "5");
  rule("--deny", "tie/#", "5");  // equal priority: deny
  auto alice = alice_session();
  EXPECT_LT(alice->publish("prio/open", "x", 1).value_or(0xFF), 0x80);
  EXPECT_EQ(alice->publish("prio/secret/x", "x", 1), std::optional<std::uint8_t>(0x87));
  EXPECT_LT(alice->publish("low/open", "x", 1).value_or(0xFF), 0x80);
  EXPECT_EQ(alice->publish("low/other", "x", 1), std::optional<std::uint8_t>(0x87));
  EXPECT_EQ(alice->publish("tie/x", "x", 1), std::optional<std::uint8_t>(0x87));
}

TEST_F(Acl, RoleRuleAppliesToTheRolesMembersOnly) {
  PolicyAdmin& admin = start_with_users();
  admin.change({"role", "add", "viewers"});
  admin.add_user("carol", "carol-pw-2Wx", {"viewers"});
  admin.add_rule(
      {"--allow", "--subscribe", "--receive", "--topic", "plant/#", "--role", "viewers"});
  auto carol = login(5, "carol", "carol-pw-2Wx");
  EXPECT_EQ(carol->subscribe("plant/+/temp", 1), (std::vector<std::uint8_t>{1}));
  auto alice = alice_session();
  EXPECT_EQ(alice->subscribe("plant/+/temp", 1), (std::vector<std::uint8_t>{0x87}));
}

TEST_F(Acl, ClientIdWithWildcardsGainsNothingFromClientIdSubstitution) {
  PolicyAdmin& admin = start_with_users();
  // Subscribing is open below clients/ and public/ (what arrives is up to the receive rules);
  // inbox/ is only what inbox/%c/# grants.
  for (const char* filter : {"clients/#", "public/#"}) {
    admin.add_rule({"--allow", "--subscribe", "--topic", filter, "--user", "alice"});
  }
  admin.add_rule({"--allow", "--receive", "--topic", "clients/%c/#", "--user", "alice"});
  admin.add_rule({"--allow", "--subscribe", "--topic", "inbox/%c/#", "--user", "alice"});
  admin.add_rule({"--allow", "--receive", "--topic", "public/#", "--user", "alice"});
  auto publisher = admin_session();

  // Control: an ordinary client id gets exactly its own level.
  {
    UserSession alice(broker().port(), login_spec(5, "alice-1", "alice", kAlicePassword));
    EXPECT_EQ(alice.subscribe("inbox/alice-1/#", 1), (std::vector<std::uint8_t>{1}));
    ASSERT_EQ(alice.subscribe("clients/#", 1), (std::vector<std::uint8_t>{1}));
    ASSERT_EQ(alice.subscribe("public/#", 1), (std::vector<std::uint8_t>{1}));
    ASSERT_LT(publisher->publish("clients/bob-1/x", "other", 1).value_or(0xFF), 0x80);
    ASSERT_LT(publisher->publish("clients/alice-1/x", "own", 1).value_or(0xFF), 0x80);
    ASSERT_LT(publisher->publish("public/marker", "marker-1", 1).value_or(0xFF), 0x80);
    const auto received = alice.receive_until("marker-1", Deadline(10s));
    ASSERT_TRUE(received.marker_seen);
    EXPECT_EQ(topics_of(received.messages),
              (std::vector<std::string>{"clients/alice-1/x", "public/marker"}));
  }
  // `/` would reach into bob-1's level if substituted as text:
  // clients/bob-1/x/# matches clients/bob-1/x.
  for (const std::string id : {"+", "#", "bob-1/x"}) {
    RawClient probe(broker().port());
    const auto connack =
        probe.connect(login_spec(5, id, "alice", kAlicePassword), Deadline(5s));
    ASSERT_TRUE(connack) << "client id " << id;
    if (wire::parse_connack(*connack, 5)->reason != 0) {
      continue;  // refusing such a client id at CONNECT is safe too
    }
    probe.send(wire::disconnect(5));
    UserSession alice(broker().port(), login_spec(5, id, "alice", kAlicePassword));
    EXPECT_EQ(alice.subscribe(what_substitution_would_grant("inbox", id), 1),
              (std::vector<std::uint8_t>{0x87}))
        << "client id " << id << " widened inbox/%c/#";
    ASSERT_EQ(alice.subscribe("clients/#", 1), (std::vector<std::uint8_t>{1}));
    ASSERT_EQ(alice.subscribe("public/#", 1), (std::vector<std::uint8_t>{1}));
    ASSERT_LT(publisher->publish("clients/bob-1/x", "other", 1).value_or(0xFF), 0x80);
    const std::string marker = "marker-" + id;
    ASSERT_LT(publisher->publish("public/marker", marker, 1).value_or(0xFF), 0x80);
    const auto received = alice.receive_until(marker, Deadline(10s));
    ASSERT_TRUE(received.marker_seen);
    EXPECT_EQ(topics_of(received.messages), (std::vector<std::string>{"public/marker"}))
        << "client id " << id << " widened clients/%c/#";
  }
}

TEST_F(Acl, SharedSubscriptionIsCheckedOnItsFilter) {
  PolicyAdmin& admin = start_with_users();
  admin.add_rule(
      {"--allow", "--subscribe", "--receive", "--topic", "shared/open/#", "--user", "alice"});
  auto alice = alice_session();
  EXPECT_EQ(alice->subscribe("$share/g/shared/open/#", 1), (std::vector<std::uint8_t>{1}));
  EXPECT_EQ(alice->subscribe("$share/g/shared/secret/#", 1), (std::vector<std::uint8_t>{0x87}));
  EXPECT_EQ(alice->subscribe("$share/g/#", 1), (std::vector<std::uint8_t>{0x87}));
  EXPECT_EQ(alice->subscribe("$share/g/shared/+/x", 1), (std::vector<std::uint8_t>{0x87}));
  auto publisher = admin_session();
  ASSERT_LT(publisher->publish("shared/open/x", "via-group", 1).value_or(0xFF), 0x80);
  const auto received = alice->receive_until("via-group", Deadline(10s));
  EXPECT_TRUE(received.marker_seen) << "the group member did not get an allowed message";
}

TEST_F(Acl, SysIsReadableOnlyWithARuleGrantingIt) {
  BrokerOptions options = store_options();
  options.arkmq_config = "sys_interval = 1\n";
  PolicyAdmin& admin = start_with_users(options);
  admin.add_rule({"--allow", "--all", "--topic", "#", "--user", "alice"});
  admin.add_user("ops", "ops-pw-4Rt");
  admin.add_rule({"--allow", "--subscribe", "--receive", "--topic", "$SYS/#", "--user", "ops"});
  // `#` does not cover `$SYS` [MQTT-4.7.2-1], so alice's allow-all is no grant for it.
  auto alice = alice_session();
  EXPECT_EQ(alice->subscribe("$SYS/#", 1), (std::vector<std::uint8_t>{0x87}));
  EXPECT_EQ(alice->subscribe("$SYS/broker/uptime", 1), (std::vector<std::uint8_t>{0x87}));
  auto ops = login(5, "ops", "ops-pw-4Rt");
  ASSERT_EQ(ops->subscribe("$SYS/#", 0), (std::vector<std::uint8_t>{0}));
  const auto message = ops->next_publish(Deadline(5s));
  ASSERT_TRUE(message) << "a $SYS grant delivered nothing in 5 s (sys_interval = 1)";
  EXPECT_EQ(message->topic.rfind("$SYS/", 0), 0u) << message->topic;
}

// Certificate CNs are not checked like user names: `%u` must treat `+` or `#` as a literal level.
class AclCertificate : public Acl {
 protected:
  void SetUp() override {
    Acl::SetUp();
    if (IsSkipped()) return;
    pki_ = std::make_unique<TestPki>();
  }

  std::unique_ptr<PahoClient> tls_client(const CertKey& cert) {
    auto ssl = mqtt::ssl_options_builder()
                   .trust_store(pki_->ca())
                   .enable_server_cert_auth(true)
                   .key_store(cert.cert)
                   .private_key(cert.key)
                   .finalize();
    auto options = v5_options();
    options.set_ssl(ssl);
    auto client = std::make_unique<PahoClient>(broker().ssl_uri(), unique_client_id("cn"), 5);
    try {
      client->connect(options);
    } catch (const mqtt::exception&) {
      return nullptr;
    }
    return client;
  }

  std::unique_ptr<TestPki> pki_;
};

TEST_F(AclCertificate, CommonNameWithWildcardsGainsNothingFromUserSubstitution) {
  BrokerOptions options = store_options();
  options.tls = true;
  options.tls_files = {pki_->server().cert, pki_->server().key, pki_->ca(), ""};
  options.require_client_cert = true;
  PolicyAdmin& admin = start_with_users(options);
  for (const char* filter : {"users/#", "public/#"}) {  // inbox/ only through inbox/%u/#
    admin.add_rule({"--allow", "--subscribe", "--topic", filter, "--anyone"});
  }
  admin.add_rule({"--allow", "--receive", "--topic", "users/%u/#", "--anyone"});
  admin.add_rule({"--allow", "--subscribe", "--topic", "inbox/%u/#", "--anyone"});
  admin.add_rule({"--allow", "--receive", "--topic", "public/#", "--anyone"});
  auto publisher = admin_session();

  // Control: CN=edge-1 gets exactly its own level, so the rules do work for certificates.
  {
    auto edge = tls_client(pki_->client());
    ASSERT_TRUE(edge) << "CN=edge-1 refused";
    EXPECT_EQ(static_cast<int>(edge->subscribe("inbox/edge-1/#", 1).at(0)), 1);
    ASSERT_EQ(static_cast<int>(edge->subscribe("users/#", 1).at(0)), 1);
    ASSERT_EQ(static_cast<int>(edge->subscribe("public/#", 1).at(0)), 1);
    ASSERT_LT(publisher->publish("users/alice/x", "alice-only", 1).value_or(0xFF), 0x80);
    ASSERT_LT(publisher->publish("users/edge-1/x", "edge-own", 1).value_or(0xFF), 0x80);
    ASSERT_LT(publisher->publish("public/marker", "marker-edge", 1).value_or(0xFF), 0x80);
    ASSERT_TRUE(edge->messages().wait_for_payload("marker-edge", 10s));
    EXPECT_EQ(edge->messages().payloads(),
              (std::vector<std::string>{"edge-own", "marker-edge"}));
  }
  int stem = 0;
  // `/` would reach into alice's level if substituted as text:
  // users/alice/x/# matches users/alice/x.
  for (const std::string cn : {"+", "#", "alice/x"}) {
    const CertKey cert = issue_client_cert(*pki_, "wild-" + std::to_string(++stem), cn);
    auto client = tls_client(cert);
    if (!client) continue;  // refusing such a certificate at CONNECT is safe too
    EXPECT_EQ(static_cast<int>(
                  client->subscribe(what_substitution_would_grant("inbox", cn), 1).at(0)),
              0x87)
        << "CN " << cn << " widened inbox/%u/#";
    ASSERT_EQ(static_cast<int>(client->subscribe("users/#", 1).at(0)), 1);
    ASSERT_EQ(static_cast<int>(client->subscribe("public/#", 1).at(0)), 1);
    ASSERT_LT(publisher->publish("users/alice/x", "alice-only", 1).value_or(0xFF), 0x80);
    const std::string marker = "marker-" + std::to_string(stem);
    ASSERT_LT(publisher->publish("public/marker", marker, 1).value_or(0xFF), 0x80);
    ASSERT_TRUE(client->messages().wait_for_payload(marker, 10s)) << "CN " << cn;
    EXPECT_EQ(client->messages().payloads(), (std::vector<std::string>{marker}))
        << "CN " << cn << " read another user's topic through users/%u/#";
  }
}

}  // namespace
}  // namespace arkmq::test
