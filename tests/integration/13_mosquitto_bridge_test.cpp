// 13 Mosquitto bridge: an unmodified mosquitto, bridged to the broker under test over TLS with a
// client certificate from the test PKI, carries messages both ways.
#include <gtest/gtest.h>

#include "tests/support/broker_test.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

// The edge mosquitto, configured as a bridge to `remote_tls_port`.
class MosquittoBridge {
 public:
  MosquittoBridge(const TestPki& pki, std::uint16_t remote_tls_port) : dir_("arkmq-bridge") {
    port_ = pick_free_port();
    const std::string conf =
        "per_listener_settings false\nuser root\npersistence false\n"
        "log_dest stderr\nlog_type all\nallow_anonymous true\n"
        "listener " + std::to_string(port_) + " 127.0.0.1\n"
        "connection arkmq\n"
        "address 127.0.0.1:" + std::to_string(remote_tls_port) + "\n"
        "remote_clientid " + unique_client_id("mosq-bridge") + "\n"
        "bridge_protocol_version mqttv311\n"
        // Without this mosquitto sends protocol level 0x84 (its private bridge flag).
        "try_private false\n"
        "bridge_cafile " + pki.ca() + "\n"
        "bridge_certfile " + pki.client().cert + "\n"
        "bridge_keyfile " + pki.client().key + "\n"
        "bridge_insecure false\n"
        "cleansession true\nnotifications false\nrestart_timeout 1\n"
        "topic bridge/out/# out 1\n"
        "topic bridge/in/# in 1\n";
    write_file(dir_.file("bridge.conf"), conf);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"mosquitto", "-c", dir_.file("bridge.conf")}, "");
  }

  ~MosquittoBridge() {
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "--- bridge mosquitto output ---\n%s--- end ---\n",
                   tail_lines(process_->output(), 40).c_str());
    }
  }

  // True once mosquitto logs the SUBACK for its "in" topics from the remote broker: the bridge
  // is then connected and subscribed ("local.<clientid>" is how mosquitto names the bridge).
  bool wait_connected(const Deadline& deadline) {
    return process_
        ->read_line_until(
            [](const std::string& line) {
              return line.find("Received SUBACK from local.") != std::string::npos;
            },
            deadline)
        .has_value();
  }

  std::uint16_t port() const { return port_; }

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

class Bridge : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    pki_ = std::make_unique<TestPki>();
    start_broker(client_cert_tls(*pki_));
    bridge_ = std::make_unique<MosquittoBridge>(*pki_, broker().tls_port());
    ASSERT_TRUE(bridge_->wait_connected(Deadline(10s))) << "bridge never connected and subscribed";
  }

  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<MosquittoBridge> bridge_;
};

TEST_F(Bridge, MessagePublishedOnTheEdgeReachesASubscriberOnTheBroker) {
  auto sub = connected(5, "central-sub");
  sub->subscribe("bridge/out/#", 1);
  RawSession edge_pub(bridge_->port(), 4, unique_client_id("edge-pub"));
  // The bridge forwards what it receives once connected; retry briefly in case its
  // subscription-independent forwarding starts a moment after the CONNACK log line.
  bool received = false;
  for (int attempt = 0; attempt < 25 && !received; ++attempt) {
    ASSERT_TRUE(edge_pub.publish("bridge/out/x", "edge-to-central", 1));
    received = sub->messages().wait_for(1, 200ms);
  }
  ASSERT_TRUE(received) << "nothing crossed the bridge edge -> central";
  EXPECT_EQ(sub->messages().messages()[0]->get_topic(), "bridge/out/x");
  EXPECT_EQ(sub->messages().messages()[0]->get_payload_str(), "edge-to-central");
}

TEST_F(Bridge, MessagePublishedOnTheBrokerReachesASubscriberOnTheEdge) {
  RawSession edge_sub(bridge_->port(), 4, unique_client_id("edge-sub"));
  ASSERT_EQ(edge_sub.subscribe("bridge/in/#", 1), (std::vector<std::uint8_t>{1}));
  auto central_pub = raw_session(5, "central-pub");
  // The bridge's SUBSCRIBE on the broker follows its CONNACK; until it is processed a publish
  // has no subscriber, so publish again (bounded) until one arrives.
  std::optional<wire::PublishView> message;
  for (int attempt = 0; attempt < 25 && !message; ++attempt) {
    ASSERT_TRUE(central_pub->publish("bridge/in/y", "central-to-edge", 1));
    message = edge_sub.next_publish(Deadline(200ms));
  }
  ASSERT_TRUE(message) << "nothing crossed the bridge central -> edge";
  EXPECT_EQ(message->topic, "bridge/in/y");
  EXPECT_EQ(message->payload, "central-to-edge");
}

TEST_F(Bridge, TopicsOutsideTheBridgePatternsStayLocal) {
  auto sub = connected(5, "central-sub");
  sub->subscribe("local/#", 1);
  sub->subscribe("bridge/out/#", 1);
  RawSession edge_pub(bridge_->port(), 4, unique_client_id("edge-pub"));
  ASSERT_TRUE(edge_pub.publish("local/x", "must-not-cross", 1));
  bool marker = false;
  for (int attempt = 0; attempt < 25 && !marker; ++attempt) {
    ASSERT_TRUE(edge_pub.publish("bridge/out/marker", "end", 1));
    marker = sub->messages().wait_for_payload("end", 200ms);
  }
  ASSERT_TRUE(marker);
  for (const auto& payload : sub->messages().payloads()) EXPECT_NE(payload, "must-not-cross");
}

}  // namespace
}  // namespace arkmq::test
