// arkmq-edge end to end: real mosquitto processes (one as the cloud stand-in, one as the site
// broker), arkmq-edge from the fresh build, in-process HTTP and TCP backends. A test client on
// the "cloud" plays the cloud broker: it publishes forwarded calls as docs/protocol.md says.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "edge-client/edge_fixture.hpp"
#include "edge-client/test_servers.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::edge::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kNode = "edge-t1";

std::string config_for(const Mosquitto& cloud, const Mosquitto& local, const std::string& outbox,
                       const std::string& services) {
  return "[node]\nname = \"" + std::string(kNode) + "\"\nheartbeat_s = 30\n"
         "labels = { site = \"test\" }\n"
         "[cloud]\nurl = \"" + cloud.mqtt_url() + "\"\nreconnect_min_ms = 100\nreconnect_max_ms = 1000\n"
         "[local]\nurl = \"" + local.mqtt_url() + "\"\n"
         "[outbox]\npath = \"" + outbox + "\"\n" + services;
}

std::string http_service(std::uint16_t port) {
  return "[[service]]\nname = \"plc\"\nversion = \"1.4.0\"\nmethods = [\"echo\", \"fail\", \"slow\"]\n"
         "backend = \"http://127.0.0.1:" + std::to_string(port) + "/api\"\nhealth_path = \"/health\"\n";
}

class EdgeSystem : public ::testing::Test {
 protected:
  arkmq::test::TempDir dir_{"arkmq-edge-sys"};
  Mosquitto cloud_;
  Mosquitto local_;
  std::unique_ptr<arkmq::test::PahoClient> caller_ = connect_client(cloud_.uri(), "cloud-broker");

  void SetUp() override {
    caller_->subscribe(std::string("$svc/reply/") + kNode + "/#", 1);
    caller_->subscribe(std::string("$svc/announce/") + kNode + "/#", 1);
  }

  // The latest announcement of `service` whose "available" equals `available`, within 10 s.
  mqtt::const_message_ptr wait_for_announcement(const std::string& service, bool available) {
    const std::string topic = std::string("$svc/announce/") + kNode + "/" + service;
    for (std::size_t seen = 0; caller_->messages().wait_for(seen + 1, 10s);) {
      const auto messages = caller_->messages().messages();
      for (; seen < messages.size(); ++seen) {
        if (messages[seen]->get_topic() != topic || messages[seen]->get_payload_str().empty()) continue;
        const auto body = nlohmann::json::parse(messages[seen]->get_payload_str());
        if (body.value("available", !available) == available) return messages[seen];
      }
    }
    return nullptr;
  }
};

TEST_F(EdgeSystem, HttpCallIsAnsweredWithPayloadStatusCorrelationAndNoAddress) {
  HttpTestServer http;
  EdgeProcess edge(config_for(cloud_, local_, dir_.file("outbox.db"), http_service(http.port())));
  const auto reply = call_and_wait(*caller_, kNode, "plc", "echo", "hello", "corr-1", 5000, 10s);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->get_topic(), std::string("$svc/reply/") + kNode + "/corr-1");
  EXPECT_EQ(reply->get_payload_str(), "echo:hello");
  EXPECT_EQ(user_property(reply, "svc-status"), "ok");
  EXPECT_EQ(user_property(reply, "http-status"), "200");
  EXPECT_EQ(mqtt::get<std::string>(reply->get_properties(), mqtt::property::CONTENT_TYPE), "text/plain");
  EXPECT_EQ(mqtt::get<std::string>(reply->get_properties(), mqtt::property::CORRELATION_DATA), "corr-1");
  // Nothing the cloud received names the backend's address or port.
  const std::string port = std::to_string(http.port());
  for (const auto& message : caller_->messages().messages()) {
    std::string everything = message->get_topic() + message->get_payload_str();
    const auto& props = message->get_properties();
    for (std::size_t i = 0; i < props.count(mqtt::property::USER_PROPERTY); ++i) {
      const auto pair = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY, i);
      everything += std::get<0>(pair) + "=" + std::get<1>(pair);
    }
    EXPECT_EQ(everything.find("127.0.0.1"), std::string::npos) << everything;
    EXPECT_EQ(everything.find(port), std::string::npos) << everything;
  }
}

TEST_F(EdgeSystem, HttpServerErrorIsABackendErrorWithoutTheAddress) {
  HttpTestServer http;
  EdgeProcess edge(config_for(cloud_, local_, dir_.file("outbox.db"), http_service(http.port())));
  const auto reply = call_and_wait(*caller_, kNode, "plc", "fail", "x", "corr-f", 5000, 10s);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(user_property(reply, "svc-status"), "backend_error");
  EXPECT_EQ(user_property(reply, "http-status"), "503");
  EXPECT_EQ(reply->get_payload_str(), "");
  EXPECT_EQ(user_property(reply, "svc-error").find(std::to_string(http.port())), std::string::npos);
}

TEST_F(EdgeSystem, UnknownMethodIsABackendError) {
  HttpTestServer http;
  EdgeProcess edge(config_for(cloud_, local_, dir_.file("outbox.db"), http_service(http.port())));
  const auto reply = call_and_wait(*caller_, kNode, "plc", "nope", "x", "corr-u", 5000, 10s);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(user_property(reply, "svc-status"), "backend_error");
  EXPECT_NE(user_property(reply, "svc-error").find("no method"), std::string::npos);
}

TEST_F(EdgeSystem, TcpBackendExchangesOneFramePerCall) {
  TcpFrameServer tcp;
  EdgeProcess edge(config_for(cloud_, local_, dir_.file("outbox.db"),
                              "[[service]]\nname = \"scale\"\nmethods = [\"weigh\"]\n"
                              "backend = \"tcp://127.0.0.1:" + std::to_string(tcp.port()) + "\"\n"));
  for (int i = 0; i < 3; ++i) {
    const std::string corr = "corr-t" + std::to_string(i);
    const auto reply = call_and_wait(*caller_, kNode, "scale", "weigh", "w" + std::to_string(i), corr, 5000, 10s);
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->get_payload_str(), "tcp:w" + std::to_string(i));
    EXPECT_EQ(user_property(reply, "svc-status"), "ok");
  }
}

TEST_F(EdgeSystem, MqttBackendRequestGoesThroughTheSiteBroker) {
  // A responder on the site broker answers MQTT 5 requests on robot/requests/+.
  auto responder = connect_client(local_.uri(), "robot");
  responder->client().set_message_callback([&](mqtt::const_message_ptr request) {
    const auto& props = request->get_properties();
    mqtt::properties reply_props;
    reply_props.add({mqtt::property::CORRELATION_DATA,
                     mqtt::get<std::string>(props, mqtt::property::CORRELATION_DATA)});
    reply_props.add({mqtt::property::CONTENT_TYPE, "text/plain"});
    auto reply = mqtt::make_message(mqtt::get<std::string>(props, mqtt::property::RESPONSE_TOPIC),
                                    "robot:" + request->get_topic() + ":" + request->get_payload_str(), 1, false);
    reply->set_properties(reply_props);
    responder->client().publish(reply);
  });
  responder->subscribe("robot/requests/+", 1);
  EdgeProcess edge(config_for(cloud_, local_, dir_.file("outbox.db"),
                              "[[service]]\nname = \"robot\"\nmethods = [\"status\"]\n"
                              "backend = \"" + local_.mqtt_url() + "\"\ntopic = \"robot/requests\"\n"));
  const auto reply = call_and_wait(*caller_, kNode, "robot", "status", "q", "corr-m", 5000, 10s);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->get_payload_str(), "robot:robot/requests/status:q");
  EXPECT_EQ(user_property(reply, "svc-status"), "ok");
  EXPECT_EQ(mqtt::get<std::string>(reply->get_properties(), mqtt::property::CONTENT_TYPE), "text/plain");
}

TEST_F(EdgeSystem, DownBackendIsAnnouncedUnavailableAndCallsFailWithBackendError) {
  const auto closed_port = arkmq::test::pick_free_port();  // nothing listens there
  EdgeProcess edge(config_for(cloud_, local_, dir_.file("outbox.db"),
                              "[[service]]\nname = \"scale\"\nmethods = [\"weigh\"]\n"
                              "backend = \"tcp://127.0.0.1:" + std::to_string(closed_port) + "\"\n"));
  const auto announcement = wait_for_announcement("scale", false);
  ASSERT_NE(announcement, nullptr);
  const auto body = nlohmann::json::parse(announcement->get_payload_str());
  EXPECT_EQ(body["service"], "scale");
  EXPECT_EQ(body["methods"], nlohmann::json::array({"weigh"}));
  EXPECT_EQ(announcement->get_payload_str().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(announcement->get_payload_str().find(std::to_string(closed_port)), std::string::npos);

  const auto reply = call_and_wait(*caller_, kNode, "scale", "weigh", "w", "corr-d", 5000, 10s);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(user_property(reply, "svc-status"), "backend_error");
  EXPECT_EQ(reply->get_payload_str(), "");
  EXPECT_EQ(user_property(reply, "svc-error").find(std::to_string(closed_port)), std::string::npos);
  EXPECT_EQ(user_property(reply, "svc-error").find("127.0.0.1"), std::string::npos);
}

TEST_F(EdgeSystem, BackendThatComesUpIsAnnouncedAvailable) {
  const auto closed_port = arkmq::test::pick_free_port();
  EdgeProcess edge(config_for(cloud_, local_, dir_.file("outbox.db"),
                              "[[service]]\nname = \"scale\"\nmethods = [\"weigh\"]\nhealth_interval_ms = 200\n"
                              "backend = \"tcp://127.0.0.1:" + std::to_string(closed_port) + "\"\n"));
  ASSERT_NE(wait_for_announcement("scale", false), nullptr);
  // The backend starts on that port: the next health check finds it and the service is
  // announced available again.
  TcpFrameServer backend(closed_port);
  const auto announcement = wait_for_announcement("scale", true);
  ASSERT_NE(announcement, nullptr);
  EXPECT_EQ(announcement->get_payload_str().find(std::to_string(closed_port)), std::string::npos);
}

TEST_F(EdgeSystem, SlowBackendIsAbandonedAtTheDeadline) {
  HttpTestServer http;
  EdgeProcess edge(config_for(cloud_, local_, dir_.file("outbox.db"), http_service(http.port())));
  const auto started = std::chrono::steady_clock::now();
  const auto reply = call_and_wait(*caller_, kNode, "plc", "slow", "x", "corr-s", 500, 10s);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(user_property(reply, "svc-status"), "backend_error");
  EXPECT_NE(user_property(reply, "svc-error").find("deadline"), std::string::npos);
  EXPECT_GE(elapsed, 450ms);
  EXPECT_LT(elapsed, 2500ms);  // the backend itself takes 3 s
}

TEST_F(EdgeSystem, StatusCommandShowsLinkServicesAndOutbox) {
  HttpTestServer http;
  EdgeProcess edge(config_for(cloud_, local_, dir_.file("outbox.db"), http_service(http.port())));
  auto watcher = connect_client(local_.uri(), "status-watch");
  watcher->subscribe("arkmq-edge/status", 1);
  bool up = false;
  for (std::size_t seen = 0; !up && watcher->messages().wait_for(seen + 1, 10s); ++seen) {
    const auto body = nlohmann::json::parse(watcher->messages().messages()[seen]->get_payload_str());
    up = body["link"] == "up";
  }
  ASSERT_TRUE(up);
  const auto result =
      arkmq::test::run_command({edge_binary(), "status", "--config", edge.config_path()}, 10s);
  EXPECT_TRUE(result.ok()) << result.output;
  EXPECT_NE(result.output.find("link:   up"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("plc (http): available"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("outbox: 0 messages"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find(std::to_string(http.port())), std::string::npos) << result.output;
}

TEST_F(EdgeSystem, StopsCleanlyAndWithdrawsItsServices) {
  HttpTestServer http;
  auto edge = std::make_unique<EdgeProcess>(
      config_for(cloud_, local_, dir_.file("outbox.db"), http_service(http.port())));
  ASSERT_NE(wait_for_announcement("plc", true), nullptr);
  EXPECT_EQ(edge->stop(), 0);
  ASSERT_TRUE(caller_->messages().wait_for_payload("", 10s));
}

}  // namespace
}  // namespace arkmq::edge::test

namespace arkmq::edge::test {
namespace {

// The production shape of the link: TLS to the cloud with the node's certificate (CN=edge-1,
// from the test PKI) as its identity.
TEST(EdgeTls, NodeCertificateConnectsOverTlsAndServesCalls) {
  arkmq::test::TestPki pki;
  arkmq::test::TempDir dir("arkmq-edge-tls");
  Mosquitto cloud(MosquittoTls{pki.ca(), pki.server().cert, pki.server().key});
  Mosquitto local;
  HttpTestServer http;
  auto caller = connect_client(cloud.uri(), "cloud-broker");
  caller->subscribe("$svc/reply/edge-1/#", 1);
  const std::string config =
      "[node]\nname = \"edge-1\"\n"
      "[cloud]\nurl = \"" + cloud.mqtts_url() + "\"\nca = \"" + pki.ca() + "\"\n"
      "cert = \"" + pki.client().cert + "\"\nkey = \"" + pki.client().key + "\"\n"
      "[local]\nurl = \"" + local.mqtt_url() + "\"\n"
      "[outbox]\npath = \"" + dir.file("outbox.db") + "\"\n" + http_service(http.port());
  EdgeProcess edge(config);
  const auto reply = call_and_wait(*caller, "edge-1", "plc", "echo", "over-tls", "corr-tls", 5000, 10s);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->get_payload_str(), "echo:over-tls");
  EXPECT_EQ(user_property(reply, "svc-status"), "ok");
}

}  // namespace
}  // namespace arkmq::edge::test
