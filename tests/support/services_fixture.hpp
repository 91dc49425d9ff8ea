// The cloud side of the services system tests: arkmq-broker on an mqtts:// listener (client
// certificates verified when presented: edge nodes and some callers use them, others log in with a
// password; anonymous refused; deny by default) with a data directory for arkmqctl grants, the
// journal and state.db, plus MQTT 5 callers that make `$svc/call/S/M` requests. Test thread only
// (svc-system).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/arkmqctl.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/paho_helpers.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::test {

// Why the services tests cannot run in this build ("" when they can): arkmq-broker, arkmqctl and
// arkmq-edge are all needed, and the reference broker has no services.
std::string services_unavailable();

// The cloud broker, restartable on the same data directory and port (docs/persistence.md).
class ServicesCloud {
 public:
  ServicesCloud(const TestPki& pki, std::string log_level = "debug");
  ~ServicesCloud();

  void start();  // the first start picks a free port; later ones reuse it
  void stop();   // SIGTERM; exit 0 expected
  BrokerProcess& broker() { return *broker_; }
  bool running() const { return broker_ != nullptr; }
  PolicyAdmin& admin() { return *admin_; }

  std::string ssl_uri() const { return "ssl://127.0.0.1:" + std::to_string(port_); }  // Paho
  std::string mqtts_url() const { return "mqtts://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }

  // arkmqctl changes without a reload wait each, then one that waits: the last reload holds all.
  void apply(std::vector<std::vector<std::string>> changes);

 private:
  const TestPki& pki_;
  std::string log_level_;
  TempDir root_{"arkmq-svc-cloud"};
  std::string data_dir_ = root_.file("data");
  std::uint16_t port_ = 0;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<PolicyAdmin> admin_;
};

// How a caller proves who it is: a client certificate, or a user name and password.
struct CallerAuth {
  const CertKey* cert = nullptr;
  std::string username;
  std::string password;
};

// A connection for test clients over TLS (trusting `ca`), MQTT 5, clean start unless asked.
mqtt::connect_options tls_v5_options(const std::string& ca, const CallerAuth& auth,
                                     bool clean_start = true, std::uint32_t session_expiry = 0,
                                     bool request_response_information = false);

struct CallRequest {
  CallRequest(std::string service_name, std::string method_name, std::string body,
              std::optional<int> timeout = std::nullopt,
              std::optional<std::string> pinned = std::nullopt)
      : service(std::move(service_name)), method(std::move(method_name)),
        payload(std::move(body)), timeout_ms(timeout), node(std::move(pinned)) {}
  std::string service;
  std::string method;
  std::string payload;
  std::optional<int> timeout_ms;  // svc-timeout-ms
  std::optional<std::string> node;  // svc-node
};

struct CallOutcome {
  int puback = -1;                 // the call PUBLISH's PUBACK reason code (-1: none)
  mqtt::const_message_ptr reply;   // nullptr: no reply before the wait ended
  std::chrono::milliseconds elapsed{0};  // from the PUBLISH to the reply's arrival
  std::string status() const;      // user property svc-status ("" without a reply)
  std::string property(const std::string& name) const;
  std::string payload() const;
  std::string describe() const;    // for failure messages
};

// An MQTT 5 caller: asks for Response Information, subscribes to its inbox, calls.
class Caller {
 public:
  Caller(const std::string& uri, const std::string& ca, const std::string& stem,
         const CallerAuth& auth);

  const std::string& client_id() const { return client_id_; }
  // CONNACK's Response Information ("" when the broker sent none).
  const std::string& response_information() const { return response_information_; }
  std::string inbox() const { return "$svc/inbox/" + client_id_ + "/"; }
  // SUBACK reason of the inbox subscription.
  int inbox_suback() const { return inbox_suback_; }

  // Publishes the call (QoS 1) with Response Topic inside the inbox and fresh Correlation Data;
  // waits up to `wait` for the reply carrying that correlation.
  CallOutcome call(const CallRequest& request,
                   std::chrono::milliseconds wait = std::chrono::seconds(10));
  PahoClient& paho() { return *client_; }

 private:
  std::string client_id_;
  std::unique_ptr<PahoClient> client_;
  std::string response_information_;
  int inbox_suback_ = -1;
  int calls_ = 0;
};

// The first message on `$svc/registry/<service>` in `messages` (from index `from`) whose JSON
// body satisfies `match`, waiting up to `timeout`; nullopt otherwise (and on unparsable bodies).
std::optional<nlohmann::json> wait_for_registry(
    MessageCollector& messages, const std::string& service,
    const std::function<bool(const nlohmann::json&)>& match, std::chrono::milliseconds timeout,
    std::size_t from = 0);
// True when the registry body lists `node` with "available": true.
bool lists_available(const nlohmann::json& registry, const std::string& node);

// Publishes at QoS 1 and returns the PUBACK reason code (Paho reports codes >= 0x80 as a
// failed token; those are returned too); -1 when no acknowledgement came.
int publish_reason(PahoClient& client, const std::string& topic, const std::string& payload,
                   const mqtt::properties& properties = {});

// The same with mosquitto_pub -V 5 -d over TLS with `cert` (its debug output shows the PUBACK's
// reason code, which Paho C++ 1.2 reports as 0 for every success-range code such as 0x10).
// Correlation Data and user properties as given; -1 when no PUBACK line came within 10 s.
int mosquitto_pub_reason(std::uint16_t port, const std::string& ca, const CertKey& cert,
                         const std::string& topic, const std::string& payload,
                         const std::string& correlation,
                         const std::vector<std::pair<std::string, std::string>>& user_properties);

// Topic, payload and every property of a message as text (what a client could read of it).
std::string message_text(const mqtt::const_message_ptr& message);

}  // namespace arkmq::test
