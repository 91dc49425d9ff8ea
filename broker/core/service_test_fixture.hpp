// Test-only fixture for the services wiring tests: a broker with a deterministic call-id source,
// BrokerEvents recording the service events, clients connected as chosen principals, and
// helpers for announcing, calling and replying. One thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/core/broker_events.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {

// One service event as plain values.
struct ServiceEvent {
  std::string kind;  // "call", "dropped", "registry"
  std::string client_id;
  std::string principal;
  bool online = false;  // the identity carried a connection
  std::string service;
  std::string method;
  std::string node;
  std::string status;
  std::string error;
  std::string correlation;
  std::string topic;  // dropped: the topic
  std::string why;    // dropped: the reason
  std::size_t nodes_available = 0;
  std::chrono::microseconds latency{0};
  std::size_t request_bytes = 0;
  std::size_t reply_bytes = 0;
};

class RecordingServiceEvents final : public BrokerEvents {
 public:
  void service_call(const ClientIdentity& caller, const ServiceCallFacts& call) override {
    ServiceEvent e = of("call", caller);
    e.service = call.service;
    e.method = call.method;
    e.node = call.node;
    e.status = call.status;
    e.error = call.error;
    e.correlation = call.correlation;
    e.latency = call.latency;
    e.request_bytes = call.request_bytes;
    e.reply_bytes = call.reply_bytes;
    events.push_back(std::move(e));
  }
  void service_dropped(const ClientIdentity& who, std::string_view topic,
                       std::string_view why) override {
    ServiceEvent e = of("dropped", who);
    e.topic = topic;
    e.why = why;
    events.push_back(std::move(e));
  }
  void service_registry_changed(std::string_view service, std::size_t nodes_available) override {
    ServiceEvent e;
    e.kind = "registry";
    e.service = service;
    e.nodes_available = nodes_available;
    events.push_back(std::move(e));
  }

  std::vector<ServiceEvent> of_kind(const std::string& kind) const {
    std::vector<ServiceEvent> out;
    for (const auto& e : events) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

  std::vector<ServiceEvent> events;

 private:
  static ServiceEvent of(const char* kind, const ClientIdentity& who) {
    ServiceEvent e;
    e.kind = kind;
    e.client_id = who.client_id;
    e.principal = who.principal;
    e.online = who.connection != nullptr;
    return e;
  }
};

inline std::string user_property(const protocol::Publish& publish, const std::string& name) {
  for (const auto& p : publish.properties.user_properties) {
    if (p.name == name) return p.value;
  }
  return "<none>";
}

class ServiceTest : public ::testing::Test {
 protected:
  BrokerFixture fx;
  std::shared_ptr<RecordingServiceEvents> events = std::make_shared<RecordingServiceEvents>();
  Broker* broker = nullptr;

  void SetUp() override { start(ServiceSettings{}); }

  void start(ServiceSettings settings) {
    broker = &fx.make();
    broker->set_events(events);
    auto counter = std::make_shared<std::uint8_t>(0);
    settings.random = [counter](std::span<std::uint8_t> out) {
      for (auto& byte : out) byte = (*counter)++;
    };
    broker->set_service_settings(std::move(settings));
  }

  // A client authenticated as `principal` (ScriptedPolicy answers with the current value).
  std::unique_ptr<TestClient> connect_as(const std::string& principal,
                                         const std::string& client_id,
                                         ProtocolVersion version = ProtocolVersion::v5) {
    fx.policy->principal = principal;
    auto client = std::make_unique<TestClient>(*broker, version);
    client->connect(client_id);
    return client;
  }

  // Node `node` (principal = node), subscribed to its calls, announcing `service`.
  std::unique_ptr<TestClient> start_node(const std::string& node, const std::string& client_id,
                                         const std::string& service = "plc",
                                         const std::string& body = R"({"methods":["read"]})") {
    auto client = connect_as(node, client_id);
    EXPECT_EQ(client->subscribe("$svc/node/" + node + "/call/#", QoS::at_least_once),
              std::vector<ReasonCode>{ReasonCode::granted_qos_1});
    EXPECT_EQ(announce(*client, node, service, body), ReasonCode::success);
    return client;
  }

  // Publishes an announcement with QoS 1 and returns the PUBACK's reason.
  static ReasonCode announce(TestClient& client, const std::string& node,
                             const std::string& service, const std::string& body) {
    client.publish("$svc/announce/" + node + "/" + service, body, QoS::at_least_once);
    return puback_of(client);
  }

  // A caller `principal` with client id `client_id`, subscribed to its inbox.
  std::unique_ptr<TestClient> start_caller(const std::string& principal,
                                           const std::string& client_id) {
    auto client = connect_as(principal, client_id);
    EXPECT_EQ(client->subscribe("$svc/inbox/" + client_id + "/#", QoS::at_least_once),
              std::vector<ReasonCode>{ReasonCode::granted_qos_1});
    return client;
  }

  // Calls S.M from `caller` (client id `client_id`) and returns the PUBACK's reason.
  static ReasonCode call(TestClient& caller, const std::string& client_id,
                         const std::string& topic, const std::string& correlation,
                         std::vector<protocol::UserProperty> user = {},
                         const std::string& payload = "{\"q\":1}") {
    protocol::Properties p;
    p.response_topic = "$svc/inbox/" + client_id + "/r";
    p.correlation_data = correlation;
    p.user_properties = std::move(user);
    caller.publish(topic, payload, QoS::at_least_once, false, 1, p);
    return puback_of(caller);
  }

  static ReasonCode puback_of(TestClient& client) {
    const auto acks = client.received_of<protocol::Puback>();
    EXPECT_EQ(acks.size(), 1U);
    return acks.empty() ? ReasonCode::unspecified_error : acks.back().reason;
  }

  // Exactly one PUBLISH received (fails the test otherwise).
  static protocol::Publish one_publish(TestClient& client) {
    const auto got = client.received_of<protocol::Publish>();
    EXPECT_EQ(got.size(), 1U);
    return got.empty() ? protocol::Publish{} : got.front();
  }

  // The node answers a forwarded request with `status` and `payload`; returns the PUBACK.
  static ReasonCode reply(TestClient& node, const protocol::Publish& request,
                          const std::string& payload, const std::string& status = "ok") {
    protocol::Properties p;
    p.correlation_data = request.properties.correlation_data;
    p.user_properties = {{"svc-status", status}};
    node.publish(request.properties.response_topic.value_or(""), payload, QoS::at_least_once,
                 false, 2, p);
    return puback_of(node);
  }
};

}  // namespace arkmq::core::test
