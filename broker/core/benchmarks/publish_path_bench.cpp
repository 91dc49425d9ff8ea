// Google Benchmark of the whole publish path: PUBLISH bytes into one ClientConnection, through
// decode, authorization, trie match and encode-once, out to N FakeLink subscribers (QoS 0).
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/core/broker.hpp"
#include "broker/core/client_connection.hpp"
#include "broker/core/default_policy.hpp"
#include "broker/core/test_support/fake_link.hpp"
#include "broker/protocol/codec.hpp"

namespace arkmq::core {
namespace {

using protocol::ProtocolVersion;

constexpr std::int64_t kClearEvery = 256;  // bounds FakeLink memory; the release is real work too

struct Peer {
  std::shared_ptr<test::FakeLink> link = std::make_shared<test::FakeLink>();
  std::unique_ptr<ClientConnection> connection;
};

protocol::Bytes encode(const protocol::Packet& packet) {
  protocol::Bytes bytes;
  protocol::encode_packet(packet, ProtocolVersion::v5, bytes);
  return bytes;
}

Peer connect(Broker& broker, const std::string& client_id, Clock::time_point now) {
  Peer peer;
  peer.connection = std::make_unique<ClientConnection>(
      broker, ConnectionInfo{"127.0.0.1:5000", "mqtt://127.0.0.1:1883", false, std::nullopt, {}},
      peer.link, now);
  protocol::Connect packet;
  packet.client_id = client_id;
  peer.connection->on_bytes(encode(packet), now);
  return peer;
}

// 1 publisher, state.range(0) subscribers of "bench/topic", QoS 0, 64-byte payload.
// Reported: time per delivered message (items = deliveries).
void BM_PublishFanOut(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  spdlog::set_level(spdlog::level::warn);  // connect/disconnect lines would swamp the output
  BrokerConfig config;
  config.sys_interval = std::chrono::seconds(0);
  Broker broker(config, std::make_shared<DefaultAuthenticator>(true),
                std::make_shared<DefaultAuthorizer>(AclDefault::allow));
  const Clock::time_point now = Clock::now();

  std::vector<Peer> subs;
  subs.reserve(subscribers);
  for (std::size_t i = 0; i < subscribers; ++i) {
    subs.push_back(connect(broker, "sub-" + std::to_string(i), now));
    protocol::Subscribe subscribe{1, {protocol::TopicSubscription{"bench/topic", {}}}, {}};
    subs.back().connection->on_bytes(encode(subscribe), now);
  }
  Peer pub = connect(broker, "pub", now);

  protocol::Publish publish;
  publish.topic = "bench/topic";
  publish.payload = std::string(64, 'x');
  const protocol::Bytes bytes = encode(publish);
  const std::uint64_t sent_before = broker.stats().messages_sent;

  std::int64_t n = 0;
  for (auto _ : state) {
    pub.connection->on_bytes(bytes, now);
    if (++n % kClearEvery == 0) {
      for (Peer& sub : subs) sub.link->clear();
    }
  }
  const std::uint64_t delivered = broker.stats().messages_sent - sent_before;
  if (delivered != static_cast<std::uint64_t>(n) * subscribers) {
    state.SkipWithError("not every message reached every subscriber");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
  // Seconds of CPU per delivered message, printed with an SI prefix ("41.2n" = 41.2 ns).
  state.counters["per_delivery"] =
      benchmark::Counter(static_cast<double>(delivered),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PublishFanOut)->Arg(1)->Arg(50);

}  // namespace
}  // namespace arkmq::core
