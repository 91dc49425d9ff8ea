// Process tests of `arkmqctl services list` and `arkmqctl call` against a real arkmq-broker (TLS
// for the caller alice, plain MQTT for bob), with grants made by `arkmqctl service grant` and
// small Paho "nodes" that announce services and answer the calls the broker forwards.
// Waits are bounded: every arkmqctl run is killed after 30 s, registry polls stop after 10 s.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <memory>

#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/deadline.hpp"
#include "tests/support/paho_helpers.hpp"
#include "tests/support/test_pki.hpp"
#include "tools/arkmqctl/ctl_runner.hpp"

namespace arkmq::ctl::test {
namespace {

using arkmq::test::Deadline;

// A service node on Paho: announces services on `$svc/announce/N/S` and answers forwarded calls
// on `$svc/node/N/call/S/#`. Method "slow" is never answered, "fail" is a backend error; every
// other method answers "N:M:" + the request payload with `svc-status: ok`.
class TestNode {
 public:
  TestNode(const arkmq::test::BrokerProcess& broker, std::string name)
      : name_(std::move(name)),
        client_(broker.tcp_uri(), arkmq::test::unique_client_id(name_),
                mqtt::create_options(MQTTVERSION_5)) {
    client_.set_message_callback([this](mqtt::const_message_ptr call) { answer(*call); });
    auto options = mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_5)
                       .clean_start(true)
                       .keep_alive_interval(std::chrono::seconds(10))
                       .connect_timeout(std::chrono::seconds(5))
                       .user_name(name_)
                       .password("node-pw")
                       .finalize();
    if (!client_.connect(options)->wait_for(arkmq::test::kPahoTimeout)) {
      throw std::runtime_error("node " + name_ + ": no CONNACK");
    }
  }
  ~TestNode() {
    try {
      if (client_.is_connected()) client_.disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const mqtt::exception&) {
      // The broker may be gone already.
    }
  }
  TestNode(const TestNode&) = delete;
  TestNode& operator=(const TestNode&) = delete;

  // Subscribes to the service's calls (`$svc/node/N/call/S/#`, what a serve grant allows),
  // publishes the announcement and waits for its PUBACK; returns the PUBACK's reason code.
  int announce(const std::string& service) {
    client_.subscribe("$svc/node/" + name_ + "/call/" + service + "/#", 1)
        ->wait_for(arkmq::test::kPahoTimeout);
    const nlohmann::json body = {{"service", service},
                                 {"version", "1.4.0"},
                                 {"description", "test node"},
                                 {"methods", {"read", "write", "slow", "fail"}},
                                 {"available", true},
                                 {"heartbeat_s", 60}};
    auto token = client_.publish(
        mqtt::make_message("$svc/announce/" + name_ + "/" + service, body.dump(), 1, false));
    if (!token->wait_for(arkmq::test::kPahoTimeout)) return -1;
    return token->get_reason_code();
  }
  int calls() const { return calls_.load(); }

 private:
  // Paho's callback thread: publishes the reply without waiting for its PUBACK.
  void answer(const mqtt::message& call) {
    ++calls_;
    const std::string& topic = call.get_topic();
    const std::string method = topic.substr(topic.rfind('/') + 1);
    if (method == "slow") return;
    const auto& props = call.get_properties();
    using code = mqtt::property::code;
    if (!props.contains(code::RESPONSE_TOPIC) || !props.contains(code::CORRELATION_DATA)) return;
    const auto reply_topic = mqtt::get<std::string>(props, code::RESPONSE_TOPIC);
    const auto correlation = mqtt::get<std::string>(props, code::CORRELATION_DATA);
    const bool fail = method == "fail";
    auto reply = mqtt::make_message(
        reply_topic, fail ? std::string() : name_ + ":" + method + ":" + call.get_payload_str(),
        1, false);
    mqtt::properties out;
    out.add({code::CORRELATION_DATA, mqtt::binary_ref(correlation)});
    out.add({code::USER_PROPERTY, "svc-status", fail ? "backend_error" : "ok"});
    if (fail) out.add({code::USER_PROPERTY, "svc-error", "backend answered HTTP 503"});
    out.add({code::USER_PROPERTY, "http-status", fail ? "503" : "200"});
    reply->set_properties(std::move(out));
    try {
      client_.publish(reply);
    } catch (const mqtt::exception&) {
      // The test sees the missing reply as a timeout.
    }
  }

  std::string name_;
  std::atomic<int> calls_{0};
  mqtt::async_client client_;  // last: destroyed first, ending the callback thread
};

class ArkmqctlServices : public ::testing::Test, public CtlFixtureBase {
 protected:
  void SetUp() override {
    if (arkmq::test::arkmq_broker_path().empty()) GTEST_SKIP() << "arkmq-broker not built";
    add_user("alice", "alice-pw");
    add_user("bob", "bob-pw");
    add_user("edge-1", "node-pw");
    add_user("edge-2", "node-pw");
    grant({"--user", "alice", "--service", "plc"});
    grant({"--user", "alice", "--service", "ghost"});  // never announced
    grant({"--node", "edge-1", "--service", "plc"});
    grant({"--node", "edge-2", "--service", "plc"});
    grant({"--node", "edge-1", "--service", "secret"});  // nobody may call it
    password_file_ = pki_.dir() + "/alice.pw";
    arkmq::test::write_file(password_file_, "alice-pw\n");

    arkmq::test::BrokerOptions options;
    options.tls = true;
    options.tls_files = {pki_.server().cert, pki_.server().key, pki_.ca(), ""};
    options.allow_anonymous = false;
    options.acl_default = "";  // deny, the broker's own default
    options.data_dir_path = data_dir();
    broker_ = std::make_unique<arkmq::test::BrokerProcess>(options);
  }

  void grant(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"service", "grant"};
    all.insert(all.end(), args.begin(), args.end());
    const auto result = ctl(all);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }

  // alice over TLS, with the password from a file.
  CtlResult as_alice(std::vector<std::string> args) const {
    CtlRun run;
    run.args = std::move(args);
    for (const auto& arg : {std::string("--broker"),
                            "mqtts://127.0.0.1:" + std::to_string(broker_->tls_port()),
                            std::string("--cafile"), pki_.ca(), std::string("--username"),
                            std::string("alice"), std::string("--password-file"),
                            password_file_}) {
      run.args.push_back(arg);
    }
    run.env["ARKMQ_PASSWORD"] = std::nullopt;
    return run_ctl(run);
  }

  // bob over plain MQTT, with the password from $ARKMQ_PASSWORD.
  CtlResult as_bob(std::vector<std::string> args) const {
    CtlRun run;
    run.args = std::move(args);
    for (const auto& arg : {std::string("--broker"),
                            "mqtt://127.0.0.1:" + std::to_string(broker_->port()),
                            std::string("--username"), std::string("bob")}) {
      run.args.push_back(arg);
    }
    run.env["ARKMQ_PASSWORD"] = "bob-pw";
    return run_ctl(run);
  }

  // alice's `services list --json`, until service `name` shows `nodes` nodes (10 s at most).
  nlohmann::json wait_for_nodes(const std::string& name, std::size_t nodes) const {
    const Deadline deadline(std::chrono::seconds(10));
    nlohmann::json last;
    while (!deadline.expired()) {
      const auto result = as_alice({"--json", "services", "list"});
      if (result.exit_code == 0) {
        last = nlohmann::json::parse(result.out, nullptr, false);
        for (const auto& entry : last) {
          if (entry.value("service", "") == name && entry["nodes"].size() == nodes) return last;
        }
      }
    }
    ADD_FAILURE() << "service " << name << " never showed " << nodes << " nodes: " << last;
    return last;
  }

  arkmq::test::TestPki pki_;
  std::string password_file_;
  std::unique_ptr<arkmq::test::BrokerProcess> broker_;
};

TEST_F(ArkmqctlServices, ListShowsOnlyTheServicesTheCallerIsGranted) {
  TestNode node(*broker_, "edge-1");
  ASSERT_EQ(node.announce("plc"), 0);
  ASSERT_EQ(node.announce("secret"), 0);
  const auto json = wait_for_nodes("plc", 1);
  ASSERT_TRUE(json.is_array()) << json;
  ASSERT_EQ(json.size(), 1U) << json;  // not "secret": alice has no call grant for it
  EXPECT_EQ(json[0]["service"], "plc");
  EXPECT_EQ(json[0]["available"], true);
  EXPECT_EQ(json[0]["nodes"][0]["node"], "edge-1");

  const auto table = as_alice({"services", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out,
            "SERVICE  AVAILABLE  NODES  VERSION  METHODS\n"
            "plc      yes        1/1    1.4.0    fail,read,slow,write\n");
  EXPECT_EQ(table.out.find("secret"), std::string::npos);
}

// --watch --json: the current entries, then one line per change, until SIGTERM (exit 0).
TEST_F(ArkmqctlServices, WatchPrintsEachRegistryChange) {
  TestNode one(*broker_, "edge-1");
  ASSERT_EQ(one.announce("plc"), 0);
  wait_for_nodes("plc", 1);
  arkmq::test::TempDir logs("arkmqctl-watch");
  arkmq::test::ChildProcess watch(
      {ARKMQCTL_PATH, "--json", "services", "list", "--watch", "--broker",
       "mqtts://127.0.0.1:" + std::to_string(broker_->tls_port()), "--cafile", pki_.ca(),
       "--username", "alice", "--password-file", password_file_},
      logs.file("stderr"));
  const auto nodes_are = [](std::size_t count) {
    return [count](const std::string& line) {
      const auto entry = nlohmann::json::parse(line, nullptr, false);
      return entry.is_object() && entry.value("service", "") == "plc" &&
             entry["nodes"].size() == count;
    };
  };
  ASSERT_TRUE(watch.read_line_until(nodes_are(1), Deadline(std::chrono::seconds(10))))
      << watch.output() << arkmq::test::read_file(logs.file("stderr"));
  TestNode two(*broker_, "edge-2");
  ASSERT_EQ(two.announce("plc"), 0);
  ASSERT_TRUE(watch.read_line_until(nodes_are(2), Deadline(std::chrono::seconds(10))))
      << watch.output() << arkmq::test::read_file(logs.file("stderr"));
  watch.send_signal(SIGTERM);
  const auto status = watch.wait(Deadline(std::chrono::seconds(5)));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, (arkmq::test::ExitStatus{true, 0, 0}))
      << arkmq::test::read_file(logs.file("stderr"));
}

TEST_F(ArkmqctlServices, CallPrintsTheReplyPayloadAndStatusAndExitsZero) {
  TestNode node(*broker_, "edge-1");
  ASSERT_EQ(node.announce("plc"), 0);
  wait_for_nodes("plc", 1);
  const auto result = as_alice({"call", "plc", "read", "--data", "hello"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "edge-1:read:hello");
  EXPECT_NE(result.err.find("svc-status: ok\n"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("svc-node: edge-1\n"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("svc-latency-ms: "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("http-status: 200\n"), std::string::npos) << result.err;
}

TEST_F(ArkmqctlServices, CallPassesBinaryPayloadsUnchanged) {
  TestNode node(*broker_, "edge-1");
  ASSERT_EQ(node.announce("plc"), 0);
  wait_for_nodes("plc", 1);
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  const std::string file = pki_.dir() + "/request.bin";
  arkmq::test::write_file(file, bytes);
  const auto result = as_alice({"call", "plc", "write", "--data-file", file});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "edge-1:write:" + bytes);
}

TEST_F(ArkmqctlServices, CallerWithoutTheGrantIsDeniedAndExitsOne) {
  TestNode node(*broker_, "edge-1");
  ASSERT_EQ(node.announce("plc"), 0);
  wait_for_nodes("plc", 1);
  const auto result = as_bob({"call", "plc", "read", "--data", "x"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("svc-status: denied\n"), std::string::npos) << result.err;
  EXPECT_EQ(node.calls(), 0);  // the node never sees a denied call
}

TEST_F(ArkmqctlServices, UnknownServiceGivesNoSuchService) {
  const auto result = as_alice({"call", "ghost", "read"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("svc-status: no_such_service\n"), std::string::npos) << result.err;
}

TEST_F(ArkmqctlServices, NodeOptionPinsTheNode) {
  TestNode one(*broker_, "edge-1");
  TestNode two(*broker_, "edge-2");
  ASSERT_EQ(one.announce("plc"), 0);
  ASSERT_EQ(two.announce("plc"), 0);
  wait_for_nodes("plc", 2);
  for (int i = 0; i < 3; ++i) {
    const auto result = as_alice({"call", "plc", "read", "--node", "edge-2", "--data", "p"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "edge-2:read:p");
  }
  EXPECT_EQ(one.calls(), 0);
  const auto absent = as_alice({"call", "plc", "read", "--node", "edge-3"});
  EXPECT_EQ(absent.exit_code, 1) << absent.err;
  EXPECT_NE(absent.err.find("svc-status: no_node_available\n"), std::string::npos) << absent.err;
}

TEST_F(ArkmqctlServices, BackendErrorAndTimeoutExitOne) {
  TestNode node(*broker_, "edge-1");
  ASSERT_EQ(node.announce("plc"), 0);
  wait_for_nodes("plc", 1);
  const auto failed = as_alice({"call", "plc", "fail"});
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_NE(failed.err.find("svc-status: backend_error\n"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("svc-error: backend answered HTTP 503\n"), std::string::npos)
      << failed.err;
  const auto slow = as_alice({"call", "plc", "slow", "--timeout", "0.5"});
  EXPECT_EQ(slow.exit_code, 1) << slow.err;
  EXPECT_NE(slow.err.find("svc-status: timeout\n"), std::string::npos) << slow.err;
}

#ifdef ARKMQ_EXAMPLE_CLOUD_APP
// docs/examples/cloud_app: the documented cloud application lists and calls over TLS.
TEST_F(ArkmqctlServices, TheCloudAppExampleListsAndCalls) {
  TestNode node(*broker_, "edge-1");
  ASSERT_EQ(node.announce("plc"), 0);
  wait_for_nodes("plc", 1);
  CtlRun run;
  run.program = ARKMQ_EXAMPLE_CLOUD_APP;
  run.args = {"ssl://127.0.0.1:" + std::to_string(broker_->tls_port()), pki_.ca(), "alice", "plc",
              "read", "t1"};
  run.env["ARKMQ_PASSWORD"] = "alice-pw";
  const auto result = run_ctl(run);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("service plc (available), 1 node(s)\n"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("plc.read -> ok from edge-1 in "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(" ms: edge-1:read:t1\n"), std::string::npos) << result.out;
}
#endif

TEST_F(ArkmqctlServices, UsageErrorsAndUnreachableBrokersExitTwo) {
  const std::vector<std::vector<std::string>> usage = {
      {"call", "plc"},
      {"call", "plc", "read", "--data", "x", "--data-file", pki_.ca()},
      {"call", "plc", "read", "--timeout", "61"},
      {"call", "plc", "re+ad"},
      {"services", "list", "--broker", "http://127.0.0.1:1"},
      {"call", "plc", "read", "--broker", "mqtt://127.0.0.1:1", "--cafile", pki_.ca()},
  };
  for (const auto& args : usage) {
    CtlRun run;
    run.args = args;
    const auto result = run_ctl(run);
    EXPECT_EQ(result.exit_code, 2) << args[1] << result.err;
    EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  }
  CtlRun closed;
  closed.args = {"call", "plc", "read", "--broker",
                 "mqtt://127.0.0.1:" + std::to_string(arkmq::test::pick_free_port())};
  const auto refused = run_ctl(closed);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("cannot connect"), std::string::npos) << refused.err;
  const auto two_sources = as_alice({"services", "list", "--password", "nope"});
  EXPECT_EQ(two_sources.exit_code, 2) << two_sources.err;
  CtlRun wrong;
  wrong.args = {"services", "list", "--broker",
                "mqtt://127.0.0.1:" + std::to_string(broker_->port()), "--username", "bob"};
  wrong.env["ARKMQ_PASSWORD"] = "wrong";
  const auto refused_login = run_ctl(wrong);
  EXPECT_EQ(refused_login.exit_code, 2) << refused_login.err;
  EXPECT_NE(refused_login.err.find("0x86"), std::string::npos) << refused_login.err;
}

}  // namespace
}  // namespace arkmq::ctl::test
