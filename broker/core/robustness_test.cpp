// Random traffic from many clients: the core never crashes, only sends packets that decode, and
// its bookkeeping returns to zero when every connection is gone. Deterministic seed, bounded.
#include <random>

#include <gtest/gtest.h>

#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {
namespace {

class RandomTraffic {
 public:
  explicit RandomTraffic(std::uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string topic() {
    static const char* const levels[] = {"a", "b", "+", "#", "$x", "", "c/d"};
    std::string out = levels[pick(7)];
    for (int i = pick(3); i > 0; --i) out += std::string("/") + levels[pick(7)];
    return out;
  }

  std::vector<std::uint8_t> bytes() {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(pick(40)));
    for (auto& b : out) b = static_cast<std::uint8_t>(pick(256));
    return out;
  }

  protocol::Packet packet() {
    const auto qos = static_cast<QoS>(pick(3));
    const auto id = static_cast<std::uint16_t>(1 + pick(8));
    switch (pick(9)) {
      case 0:
      case 1: {
        protocol::Publish p;
        p.topic = topic();
        p.payload = "x";
        p.qos = qos;
        p.retain = pick(4) == 0;
        p.packet_id = qos == QoS::at_most_once ? 0 : id;
        if (pick(4) == 0) p.properties.topic_alias = static_cast<std::uint16_t>(pick(4));
        if (pick(4) == 0) p.properties.message_expiry_interval = static_cast<std::uint32_t>(pick(3));
        return p;
      }
      case 2: {
        protocol::SubscriptionOptions options;
        options.max_qos = qos;
        options.no_local = pick(3) == 0;
        options.retain_handling = static_cast<std::uint8_t>(pick(3));
        const std::string filter = pick(4) == 0 ? "$share/g/" + topic() : topic();
        return protocol::Subscribe{id, {{filter, options}}, {}};
      }
      case 3: return protocol::Unsubscribe{id, {topic()}, {}};
      case 4: return protocol::Puback{id, ReasonCode::success, {}};
      case 5: return protocol::Pubrec{id, ReasonCode::success, {}};
      case 6: return protocol::Pubrel{id, ReasonCode::success, {}};
      case 7: return protocol::Pubcomp{id, ReasonCode::success, {}};
      default: return protocol::Pingreq{};
    }
  }

 private:
  std::mt19937 rng_;
};

class Robustness : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(Robustness, RandomTrafficNeverBreaksTheBrokersBookkeeping) {
  BrokerFixture fx;
  fx.config.topic_alias_maximum = 2;
  fx.config.max_session_expiry = 60;  // v3.1.1 persistent sessions expire within the test
  Broker& broker = fx.make();
  RandomTraffic random(GetParam());
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int round = 0; round < 2000; ++round) {
    if (clients.size() < 6 || random.pick(10) == 0) {
      const auto version = random.pick(2) == 0 ? ProtocolVersion::v5 : ProtocolVersion::v311;
      clients.push_back(std::make_unique<TestClient>(broker, version));
      protocol::Connect connect;
      connect.version = version;
      connect.client_id = "c" + std::to_string(random.pick(8));  // collisions: takeovers
      connect.clean_start = random.pick(2) == 0;
      if (version == ProtocolVersion::v5 && random.pick(2) == 0) {
        connect.properties.session_expiry_interval = 5;
      }
      if (random.pick(3) == 0) connect.will = protocol::Will{"w/" + connect.client_id, "gone", QoS::at_least_once, false, {}};
      clients.back()->send(connect);
    }
    TestClient& c = *clients[static_cast<std::size_t>(random.pick(static_cast<int>(clients.size())))];
    if (random.pick(8) == 0) {
      c.send_bytes(random.bytes());
    } else {
      c.send(random.packet());
    }
    c.received();  // every packet the broker sent must decode
    if (random.pick(15) == 0) broker.tick(t0() + std::chrono::seconds(round));
    std::erase_if(clients, [](const std::unique_ptr<TestClient>& client) {
      if (!client->closed()) return false;
      client->transport_closed();
      return true;
    });
  }
  for (auto& c : clients) {
    c->transport_closed();
    c->received();
  }
  clients.clear();
  EXPECT_EQ(broker.stats().clients_connected, 0U);
  broker.tick(t0() + std::chrono::hours(1));
  EXPECT_EQ(broker.stats().sessions, 0U);
  EXPECT_EQ(broker.stats().subscriptions, 0U);
}

INSTANTIATE_TEST_SUITE_P(Seeds, Robustness, ::testing::Values(1U, 2U, 3U, 12345U));

}  // namespace
}  // namespace arkmq::core::test
