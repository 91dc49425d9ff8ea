// 25 services: MQTT 5 callers call services through the broker, which forwards to arkmq-edge
// (a real process, its node identity = its certificate), which calls real local backends (HTTP,
// length-prefixed TCP, an MQTT responder on the site's mosquitto). TLS everywhere, grants made
// with arkmqctl. Checked: the right replies through each backend; a caller without a grant is
// denied and the backend never sees the request; a node without a serve grant cannot announce;
// a slow backend gives "timeout" at the caller's deadline; nothing a cloud client receives names
// a backend's address; unsolicited and repeated replies from a node are dropped. Node failover
// and telemetry through a broker restart: 25_services_failover_test.cpp.
#include <gtest/gtest.h>

#include <memory>

#include "tests/support/audit_helpers.hpp"
#include "tests/support/services_world.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Services : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!services_unavailable().empty()) return;
    try {
      world_ = std::make_unique<ServicesWorld>();
    } catch (const std::exception& error) {
      setup_error_ = error.what();
    }
  }
  static void TearDownTestSuite() { world_.reset(); }

  void SetUp() override {
    if (const std::string why = services_unavailable(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(world_) << "the services world did not start: " << setup_error_;
  }

  ServicesWorld& world() { return *world_; }

  static inline std::unique_ptr<ServicesWorld> world_;
  static inline std::string setup_error_;
};

// ---- a. replies through the HTTP, TCP and MQTT backends ----

TEST_F(Services, PermittedCallerGetsTheBackendsReplyThroughHttpTcpAndMqtt) {
  auto alice = world().alice("alice-a");
  EXPECT_EQ(alice->response_information(), alice->inbox())
      << "CONNACK Response Information must be the caller's inbox";
  ASSERT_LT(alice->inbox_suback(), 0x80) << "the caller may not subscribe to its own inbox";
  for (const char* service : {"plc", "scale", "robot"}) {
    ASSERT_TRUE(world().registry_lists(service, "edge-a"))
        << "$svc/registry/" << service << " never listed edge-a as available";
  }
  const std::size_t http_before = world().http.requests().count();

  const auto http = alice->call({"plc", "echo", "a-http"});
  EXPECT_LT(http.puback, 0x80) << http.describe();
  EXPECT_EQ(http.status(), "ok") << http.describe();
  EXPECT_EQ(http.payload(), "http:a-http") << http.describe();
  EXPECT_EQ(http.property("svc-node"), "edge-a") << http.describe();
  EXPECT_EQ(http.property("http-status"), "200") << http.describe();
  EXPECT_FALSE(http.property("svc-latency-ms").empty()) << http.describe();
  ASSERT_TRUE(http.reply);
  EXPECT_EQ(http.reply->get_topic(), alice->inbox() + "replies");
  const auto& props = http.reply->get_properties();
  ASSERT_TRUE(props.contains(mqtt::property::CONTENT_TYPE)) << http.describe();
  EXPECT_EQ(mqtt::get<std::string>(props, mqtt::property::CONTENT_TYPE), "text/plain");
  EXPECT_EQ(world().http.requests().count(), http_before + 1);

  const auto tcp = alice->call({"scale", "weigh", "a-tcp"});
  EXPECT_EQ(tcp.status(), "ok") << tcp.describe();
  EXPECT_EQ(tcp.payload(), "tcp:a-tcp") << tcp.describe();
  EXPECT_EQ(tcp.property("svc-node"), "edge-a") << tcp.describe();

  const auto robot = alice->call({"robot", "status", "a-mqtt"});
  EXPECT_EQ(robot.status(), "ok") << robot.describe();
  EXPECT_EQ(robot.payload(), "mqtt:a-mqtt") << robot.describe();

  // A caller whose identity is its certificate, granted plc only.
  auto carol = world().carol_caller();
  const auto by_cert = carol->call({"plc", "echo", "a-cert"});
  EXPECT_EQ(by_cert.status(), "ok") << by_cert.describe();
  EXPECT_EQ(by_cert.payload(), "http:a-cert") << by_cert.describe();
  // The node saw the caller's principal (svc-caller), which arkmq-edge logs.
  EXPECT_TRUE(world().edge->wait_for_log("from 'carol'", 5s));
}

// ---- the grants alone let arkmq-edge serve ----

TEST_F(Services, NodeWithOnlyServeGrantsComesUp) {
  // edge-b has a serve grant (beacon) and no other rule: arkmq-edge must be able to subscribe
  // to its calls and announce with that alone (docs/security.md, "Service permissions").
  EdgeSpec spec = world().edge_spec("edge-b", world().edge_b, "edge-b-outbox.db");
  spec.services = service_table("beacon", R"("echo")",
                                "http://127.0.0.1:" + std::to_string(world().http.port()) + "/api");
  const std::size_t mark = world().watcher->paho().messages().size();
  EdgeProcess edge(edge_config(spec), false);
  ASSERT_TRUE(edge.wait_for_log("cloud link up", 10s))
      << "arkmq-edge with serve grants only cannot connect (it subscribes to "
         "$svc/node/edge-b/call/#, the grant covers $svc/node/edge-b/call/beacon/#)";
  EXPECT_TRUE(world().registry_lists("beacon", "edge-b", mark));
}

// ---- b. no grant: denied, 0x87, and the backend never sees it ----

TEST_F(Services, CallerWithoutAGrantIsDeniedAndTheBackendNeverSeesTheRequest) {
  ASSERT_TRUE(world().registry_lists("plc", "edge-a"));
  auto mallory = world().mallory();
  auto carol = world().carol_caller();  // granted plc, not scale
  auto alice = world().alice("alice-b");
  const std::size_t http_before = world().http.requests().count();
  const std::size_t tcp_before = world().tcp.requests().count();

  const auto denied = mallory->call({"plc", "echo", "b-denied"}, 5s);
  EXPECT_EQ(denied.puback, 0x87) << denied.describe();
  EXPECT_EQ(denied.status(), "denied") << denied.describe();
  EXPECT_EQ(denied.payload(), "") << denied.describe();
  EXPECT_FALSE(denied.property("svc-error").empty()) << denied.describe();

  const auto other_service = carol->call({"scale", "weigh", "b-other"}, 5s);
  EXPECT_EQ(other_service.puback, 0x87) << other_service.describe();
  EXPECT_EQ(other_service.status(), "denied") << other_service.describe();

  // A permitted call afterwards is the event that ends the wait: had the refused requests been
  // forwarded, the backend would have seen them before this one.
  const auto allowed = alice->call({"plc", "echo", "b-allowed"});
  ASSERT_EQ(allowed.status(), "ok") << allowed.describe();
  EXPECT_EQ(world().http.requests().count(), http_before + 1)
      << "the HTTP backend saw a request the broker should have refused";
  EXPECT_EQ(world().tcp.requests().count(), tcp_before)
      << "the TCP backend saw a request the broker should have refused";
  EXPECT_EQ(world().edge->log().find("from 'mallory'"), std::string::npos)
      << "arkmq-edge received mallory's refused call";
}

// ---- c. no serve grant: no announcement, no registry entry, no calls ----

TEST_F(Services, NodeWithoutAServeGrantCannotAnnounce) {
  // A real arkmq-edge with a valid certificate (edge-rogue) but no serve grant, serving rogue-svc.
  EdgeSpec spec = world().edge_spec("edge-rogue", world().rogue, "rogue-outbox.db");
  spec.services = service_table("rogue-svc", R"("ping")",
                                "http://127.0.0.1:" + std::to_string(world().http.port()) + "/api");
  EdgeProcess rogue_edge(edge_config(spec), false);
  // Its first refused operation (the call subscription or the announcement) is journaled.
  std::vector<AuditRow> rows;
  const auto denial = wait_for_audit_row(
      world().cloud.data_dir(), {"--type", "acl_denial"},
      [](const AuditRow& row) { return row.principal == "edge-rogue"; }, &rows, 10s);
  EXPECT_TRUE(denial) << "no acl_denial row for edge-rogue; rows:\n" << describe(rows);

  // The announcement by hand, and near misses: in another node's name, and a granted node
  // announcing a service it has no grant for. All 0x87 (docs/protocol.md).
  auto rogue = world().raw_node(world().rogue, "rogue-raw");
  EXPECT_EQ(publish_reason(*rogue, "$svc/announce/edge-rogue/rogue-svc", announcement("rogue-svc")),
            0x87);
  EXPECT_EQ(publish_reason(*rogue, "$svc/announce/edge-a/plc", announcement("plc")), 0x87)
      << "edge-rogue announced in edge-a's name";
  auto edge_a_raw = world().raw_node(world().edge_a, "edge-a-raw");
  EXPECT_EQ(publish_reason(*edge_a_raw, "$svc/announce/edge-a/rogue-svc",
                           announcement("rogue-svc")),
            0x87)
      << "edge-a announced a service it has no serve grant for";

  // A granted announcement afterwards (edge-b serves beacon) is the marker: registry updates are
  // delivered to the watcher in order, so a rogue entry would have arrived before it.
  const std::size_t mark = world().watcher->paho().messages().size();
  auto beacon = world().raw_node(world().edge_b, "edge-b-raw");
  EXPECT_EQ(publish_reason(*beacon, "$svc/announce/edge-b/beacon", announcement("beacon")), 0);
  ASSERT_TRUE(world().registry_lists("beacon", "edge-b", mark))
      << "the marker announcement never reached the registry";
  for (const auto& message : world().watcher->paho().messages().messages()) {
    EXPECT_NE(message->get_topic(), "$svc/registry/rogue-svc")
        << "rogue-svc appeared in the registry: " << message->get_payload_str();
    EXPECT_EQ(message->get_payload_str().find("edge-rogue"), std::string::npos)
        << message->get_topic() << ": " << message->get_payload_str();
  }

  auto alice = world().alice("alice-c");
  const auto unknown = alice->call({"rogue-svc", "ping", "c-1"}, 5s);
  EXPECT_EQ(unknown.status(), "no_such_service") << unknown.describe();
  const auto pinned = alice->call({"plc", "echo", "c-2", std::nullopt, "edge-rogue"}, 5s);
  EXPECT_EQ(pinned.status(), "no_node_available") << pinned.describe();
}

// ---- d. the caller's deadline ----

TEST_F(Services, SlowBackendGivesTimeoutAtTheCallersDeadline) {
  ASSERT_TRUE(world().registry_lists("plc", "edge-a"));
  auto alice = world().alice("alice-d");
  // The backend answers /api/slow after 4 s; the caller allows 500 ms.
  const auto slow = alice->call({"plc", "slow", "d-1", 500}, 5s);
  ASSERT_TRUE(slow.reply) << slow.describe();
  EXPECT_EQ(slow.status(), "timeout") << slow.describe();
  EXPECT_EQ(slow.payload(), "") << slow.describe();
  EXPECT_GE(slow.elapsed, 500ms) << slow.describe();
  EXPECT_LT(slow.elapsed, 2500ms) << "the timeout came long after the deadline: "
                                  << slow.describe();
  // The deadline ended that call only: the next one is answered.
  const auto next = alice->call({"plc", "echo", "d-2"});
  EXPECT_EQ(next.status(), "ok") << next.describe();
}

// ---- f. no backend address reaches the cloud ----

TEST_F(Services, NothingACloudClientReceivesNamesABackendAddress) {
  ASSERT_TRUE(world().registry_lists("plc", "edge-a"));
  // Discovery as docs/protocol.md describes it: $svc/registry/+ filtered by the receive check.
  auto carol = world().carol_caller();
  const auto codes = carol->paho().subscribe("$svc/registry/+", 1);
  ASSERT_EQ(codes.size(), 1U);
  EXPECT_LT(static_cast<int>(codes.front()), 0x80) << "listing ($svc/registry/+) refused";
  auto alice = world().alice("alice-f");

  std::vector<CallOutcome> outcomes;
  outcomes.push_back(alice->call({"plc", "echo", "f-ok"}));
  outcomes.push_back(alice->call({"scale", "weigh", "f-tcp"}));
  outcomes.push_back(alice->call({"robot", "status", "f-mqtt"}));
  outcomes.push_back(alice->call({"plc", "fail", "f-503"}));
  outcomes.push_back(alice->call({"dead", "ping", "f-dead"}, 5s));
  outcomes.push_back(alice->call({"plc", "slow", "f-slow", 300}, 5s));
  outcomes.push_back(alice->call({"plc", "nope", "f-nope"}, 5s));
  outcomes.push_back(carol->call({"scale", "weigh", "f-denied"}, 5s));
  for (const auto& outcome : outcomes) EXPECT_TRUE(outcome.reply) << outcome.describe();
  EXPECT_EQ(outcomes[3].status(), "backend_error") << outcomes[3].describe();
  EXPECT_EQ(outcomes[3].property("http-status"), "503") << outcomes[3].describe();
  EXPECT_NE(outcomes[4].status(), "ok") << outcomes[4].describe();
  // carol's call reply ends her wait: the registry messages her grants cover came before it.
  const auto marker = carol->call({"plc", "echo", "f-carol"});
  EXPECT_EQ(marker.status(), "ok") << marker.describe();

  bool carol_saw_plc = false;
  for (const auto& message : carol->paho().messages().messages()) {
    const std::string& topic = message->get_topic();
    if (topic == "$svc/registry/plc") carol_saw_plc = true;
    if (topic.rfind("$svc/registry/", 0) == 0) {
      EXPECT_EQ(topic, "$svc/registry/plc") << "carol (granted plc only) received " << topic;
    }
  }
  EXPECT_TRUE(carol_saw_plc) << "$svc/registry/+ did not deliver plc's retained entry";

  std::string everything;
  for (Caller* caller : {alice.get(), carol.get(), world().watcher.get()}) {
    for (const auto& message : caller->paho().messages().messages()) {
      everything += message_text(message) + "\n";
    }
  }
  // `arkmqctl services list --json` (svc-cli) reads the same registry.
  const std::string password_file = world().dir.file("alice.pw");
  write_file(password_file, std::string(kSvcAlicePassword) + "\n");
  const ArkmqctlResult listed = run_arkmqctl(
      world().cloud.data_dir(),
      {"--json", "services", "list", "--broker", world().cloud.mqtts_url(), "--cafile",
       world().pki.ca(), "--username", "alice", "--password-file", password_file}, 20s);
  EXPECT_TRUE(listed.ok()) << listed.describe();
  EXPECT_NE(listed.out.find("plc"), std::string::npos) << listed.describe();
  everything += listed.out + listed.err;

  const std::string text = scrubbed(
      everything, {alice->client_id(), carol->client_id(), world().watcher->client_id()});
  EXPECT_EQ(text.find("127.0.0.1"), std::string::npos) << text;
  for (const std::uint16_t port : {world().http.port(), world().tcp.port(), world().site.port(),
                                   world().dead_port}) {
    EXPECT_FALSE(contains_number(text, port)) << "backend port " << port << " in:\n" << text;
  }
}

// ---- g. unsolicited and repeated replies are dropped ----

TEST_F(Services, UnsolicitedAndRepeatedRepliesFromANodeAreDropped) {
  // A raw MQTT 5 client as node edge-b announces beacon and answers its calls itself, so the test
  // knows a finished call's reply topic and correlation (the broker forwards a call only to the
  // connection that announced the node).
  MessageCollector requests;  // before the client: Paho's callback thread ends first
  auto node = world().raw_node(world().edge_b, "edge-b-node");
  PahoClient* raw = node.get();
  node->client().set_message_callback([&requests, raw](mqtt::const_message_ptr request) {
    requests.add(request);
    const auto& in = request->get_properties();
    if (!in.contains(mqtt::property::RESPONSE_TOPIC)) return;
    mqtt::properties out;
    if (in.contains(mqtt::property::CORRELATION_DATA)) {
      out.add({mqtt::property::CORRELATION_DATA,
               mqtt::get<std::string>(in, mqtt::property::CORRELATION_DATA)});
    }
    out.add({mqtt::property::USER_PROPERTY, std::string("svc-status"), std::string("ok")});
    auto reply = mqtt::make_message(mqtt::get<std::string>(in, mqtt::property::RESPONSE_TOPIC),
                                    "beacon:" + request->get_payload_str(), 1, false);
    reply->set_properties(out);
    raw->client().publish(reply);  // Paho's callback thread: not waited for
  });
  const auto codes = node->subscribe("$svc/node/edge-b/call/beacon/#", 1);
  ASSERT_EQ(codes.size(), 1U);
  ASSERT_LT(static_cast<int>(codes.front()), 0x80);
  const std::size_t mark = world().watcher->paho().messages().size();
  ASSERT_EQ(publish_reason(*node, "$svc/announce/edge-b/beacon", announcement("beacon")), 0);
  ASSERT_TRUE(world().registry_lists("beacon", "edge-b", mark));
  auto alice = world().alice("alice-g");

  const auto first = alice->call({"beacon", "ping", "g-1"});
  ASSERT_EQ(first.status(), "ok") << first.describe();
  ASSERT_EQ(first.payload(), "beacon:g-1");
  ASSERT_TRUE(requests.wait_for(1, 5s));
  const auto request = requests.messages().front();
  const std::string reply_topic =
      mqtt::get<std::string>(request->get_properties(), mqtt::property::RESPONSE_TOPIC);
  const std::string correlation =
      mqtt::get<std::string>(request->get_properties(), mqtt::property::CORRELATION_DATA);
  const std::vector<std::pair<std::string, std::string>> ok_status{{"svc-status", "ok"}};
  const std::uint16_t port = world().cloud.port();
  const std::string& ca = world().pki.ca();

  // The finished call's reply again, by its node: a duplicate, dropped with 0x10 (mosquitto_pub
  // shows the PUBACK's reason code; Paho C++ reports success-range codes as 0).
  EXPECT_EQ(mosquitto_pub_reason(port, ca, world().edge_b, reply_topic, "forged-duplicate",
                                 correlation, ok_status),
            0x10);
  // A reply to a call id that never existed, by node edge-a: unsolicited, dropped (0x10).
  const std::string made_up = "0123456789abcdef0123456789abcdef";
  const std::string unsolicited_topic = "$svc/reply/edge-a/" + made_up;
  EXPECT_EQ(mosquitto_pub_reason(port, ca, world().edge_a, unsolicited_topic, "forged-unsolicited",
                                 "x", ok_status),
            0x10);
  // edge-a answering edge-b's call: its serve grant does not cover $svc/reply/edge-b/ (0x87).
  EXPECT_EQ(mosquitto_pub_reason(port, ca, world().edge_a, reply_topic, "forged-foreign",
                                 correlation, ok_status),
            0x87);

  // The next legitimate reply is the event that proves the forged ones were not delivered.
  const auto second = alice->call({"beacon", "ping", "g-2"});
  ASSERT_EQ(second.status(), "ok") << second.describe();
  EXPECT_EQ(alice->paho().messages().payloads(),
            (std::vector<std::string>{"beacon:g-1", "beacon:g-2"}))
      << "the caller received something besides its two replies";

  // Each drop is journaled as a service_call row with the dropped message's topic.
  std::vector<AuditRow> rows;
  auto has_drop = [](const std::vector<AuditRow>& all, const std::string& topic) {
    for (const auto& row : all) {
      if (row.topic == topic && !row.detail("dropped").empty()) return true;
    }
    return false;
  };
  EXPECT_TRUE(wait_for_audit(
      world().cloud.data_dir(), {"--type", "service_call"},
      [&](const std::vector<AuditRow>& all) {
        return has_drop(all, reply_topic) && has_drop(all, unsolicited_topic);
      },
      &rows, 10s))
      << "no service_call drop rows for " << reply_topic << " and " << unsolicited_topic
      << "; rows:\n" << describe(rows);
}

}  // namespace
}  // namespace arkmq::test
