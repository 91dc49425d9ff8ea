// A scripted MQTT client for core unit tests: packets in through ClientConnection::on_bytes,
// packets out decoded from a FakeLink; a fake clock. Test-only; one thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/core/broker.hpp"
#include "broker/core/client_connection.hpp"
#include "broker/core/test_support/fake_link.hpp"

namespace arkmq::core::test {

using namespace std::chrono_literals;
using protocol::ProtocolVersion;
using protocol::QoS;
using protocol::ReasonCode;

// A fixed start for the fake clock.
inline Clock::time_point t0() { return Clock::time_point{} + std::chrono::hours(1000); }

// An authenticator/authorizer pair whose answers tests can change.
class ScriptedPolicy final : public Authenticator, public Authorizer {
 public:
  AuthResult authenticate(const ConnectionInfo& connection, const Credentials& credentials) override;
  Decision authorize(const AccessRequest& request) override;

  ReasonCode auth_reason = ReasonCode::success;
  std::string principal = "tester";
  std::string why;  // AuthResult::why
  // What the last authenticate() call was given (copied: Credentials holds views).
  std::string last_client_id;
  bool last_client_id_assigned = false;
  // Denies requests whose action and topic match one of these.
  std::vector<std::pair<Action, std::string>> denied;
  std::vector<AccessRequest> requests_seen;  // topics copied into `seen_topics`
  std::vector<std::string> seen_topics;
  std::vector<std::string> seen_principals;  // copies: the request's views may dangle later
  std::vector<std::string> seen_client_ids;
};

class TestClient {
 public:
  TestClient(Broker& broker, ProtocolVersion version, Clock::time_point now = t0());

  // Encodes with the client's version and feeds the connection.
  void send(const protocol::Packet& packet);
  void send_bytes(const std::vector<std::uint8_t>& bytes);
  // Everything received since the last call.
  std::vector<protocol::Packet> received();
  // Received packets of one type; packets of other types stay for received().
  template <typename T>
  std::vector<T> received_of() {
    std::vector<T> out;
    std::vector<protocol::Packet> rest;
    for (auto& packet : received()) {
      if (auto* p = std::get_if<T>(&packet)) {
        out.push_back(std::move(*p));
      } else {
        rest.push_back(std::move(packet));
      }
    }
    pending_ = std::move(rest);
    return out;
  }

  // Sends CONNECT and returns the CONNACK (fails the test when there is none).
  protocol::Connack connect(protocol::Connect connect);
  protocol::Connack connect(const std::string& client_id, bool clean_start = true,
                            protocol::Properties properties = {});
  // Subscribes and returns the SUBACK reasons.
  std::vector<ReasonCode> subscribe(const std::string& filter, QoS qos = QoS::exactly_once,
                                    protocol::Properties properties = {},
                                    protocol::SubscriptionOptions options = {});
  void publish(const std::string& topic, const std::string& payload, QoS qos = QoS::at_most_once,
               bool retain = false, std::uint16_t packet_id = 0,
               protocol::Properties properties = {});

  void tick(Clock::time_point now) { connection_->on_tick(now); }
  void advance(Clock::duration by) { now_ += by; }
  void transport_closed() { connection_->on_transport_closed(); }
  bool closed() const { return link_->closed(); }
  bool is_closing() const { return connection_->is_closing(); }
  Clock::time_point now() const { return now_; }
  void set_now(Clock::time_point now) { now_ = now; }
  FakeLink& link() { return *link_; }
  ClientConnection& connection() { return *connection_; }

 private:
  ProtocolVersion version_;
  Clock::time_point now_;
  std::vector<protocol::Packet> pending_;  // received, not yet taken
  std::shared_ptr<FakeLink> link_;
  std::unique_ptr<ClientConnection> connection_;
};

// A broker with a ScriptedPolicy; tests adjust `config` before calling make().
struct BrokerFixture {
  BrokerConfig config;
  std::shared_ptr<ScriptedPolicy> policy = std::make_shared<ScriptedPolicy>();
  std::unique_ptr<Broker> broker;

  Broker& make() {
    config.sys_interval = std::chrono::seconds(0);
    broker = std::make_unique<Broker>(config, policy, policy);
    return *broker;
  }
  Broker& make_with_sys() {
    broker = std::make_unique<Broker>(config, policy, policy);
    return *broker;
  }
};

protocol::Publish publish_of(const protocol::Packet& packet);

}  // namespace arkmq::core::test
