// TestClient and ScriptedPolicy.
#include "broker/core/test_support/test_client.hpp"

#include "broker/protocol/codec.hpp"

namespace arkmq::core::test {

AuthResult ScriptedPolicy::authenticate(const ConnectionInfo&, const Credentials& credentials) {
  last_client_id = credentials.client_id;
  last_client_id_assigned = credentials.client_id_assigned;
  return {auth_reason, principal, why};
}

Decision ScriptedPolicy::authorize(const AccessRequest& request) {
  requests_seen.push_back(request);
  seen_topics.emplace_back(request.topic);
  seen_principals.emplace_back(request.principal);
  seen_client_ids.emplace_back(request.client_id);
  for (const auto& [action, topic] : denied) {
    if (action == request.action && topic == request.topic) return Decision::deny;
  }
  return Decision::allow;
}

TestClient::TestClient(Broker& broker, ProtocolVersion version, Clock::time_point now)
    : version_(version),
      now_(now),
      link_(std::make_shared<FakeLink>()),
      connection_(std::make_unique<ClientConnection>(
          broker, ConnectionInfo{"127.0.0.1:5000", "mqtt://127.0.0.1:1883", false, std::nullopt, {}},
          link_, now)) {}

void TestClient::send(const protocol::Packet& packet) {
  protocol::Bytes bytes;
  protocol::encode_packet(packet, version_, bytes);
  send_bytes(bytes);
}

void TestClient::send_bytes(const std::vector<std::uint8_t>& bytes) {
  connection_->on_bytes(bytes, now_);
}

std::vector<protocol::Packet> TestClient::received() {
  std::vector<protocol::Packet> out = std::move(pending_);
  pending_.clear();
  for (auto& packet : link_->take_packets(version_)) out.push_back(std::move(packet));
  return out;
}

protocol::Connack TestClient::connect(protocol::Connect connect) {
  connect.version = version_;
  send(connect);
  auto connacks = received_of<protocol::Connack>();
  EXPECT_EQ(connacks.size(), 1U);
  return connacks.empty() ? protocol::Connack{false, ReasonCode::unspecified_error, {}}
                          : connacks.front();
}

protocol::Connack TestClient::connect(const std::string& client_id, bool clean_start,
                                      protocol::Properties properties) {
  protocol::Connect connect;
  connect.client_id = client_id;
  connect.clean_start = clean_start;
  connect.properties = std::move(properties);
  return this->connect(std::move(connect));
}

std::vector<ReasonCode> TestClient::subscribe(const std::string& filter, QoS qos,
                                              protocol::Properties properties,
                                              protocol::SubscriptionOptions options) {
  options.max_qos = qos;
  send(protocol::Subscribe{1, {protocol::TopicSubscription{filter, options}}, std::move(properties)});
  auto subacks = received_of<protocol::Suback>();
  EXPECT_EQ(subacks.size(), 1U);
  return subacks.empty() ? std::vector<ReasonCode>{} : subacks.front().reasons;
}

void TestClient::publish(const std::string& topic, const std::string& payload, QoS qos,
                         bool retain, std::uint16_t packet_id, protocol::Properties properties) {
  protocol::Publish publish;
  publish.topic = topic;
  publish.payload = payload;
  publish.qos = qos;
  publish.retain = retain;
  publish.packet_id = qos == QoS::at_most_once ? 0 : (packet_id == 0 ? 1 : packet_id);
  publish.properties = std::move(properties);
  send(publish);
}

protocol::Publish publish_of(const protocol::Packet& packet) {
  const auto* publish = std::get_if<protocol::Publish>(&packet);
  EXPECT_NE(publish, nullptr);
  return publish != nullptr ? *publish : protocol::Publish{};
}

}  // namespace arkmq::core::test
