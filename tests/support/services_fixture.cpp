// ServicesCloud, Caller and the registry and property helpers of the services system tests.
#include "tests/support/services_fixture.hpp"

#include <algorithm>
#include <regex>
#include <stdexcept>

#include "tests/support/edge_process.hpp"
#include "tests/support/run_command.hpp"

namespace arkmq::test {

using namespace std::chrono_literals;

std::string services_unavailable() {
  if (broker_kind_from_env() == BrokerKind::mosquitto) {
    return "arkmq-only: services are arkmq's ($svc/ namespace, arkmqctl grants)";
  }
  if (arkmq_broker_path().empty()) return "arkmq-broker is not built";
  if (arkmqctl_path().empty()) return "arkmqctl is not built";
  if (arkmq_edge_path().empty()) return "arkmq-edge is not built";
  return "";
}

ServicesCloud::ServicesCloud(const TestPki& pki, std::string log_level)
    : pki_(pki), log_level_(std::move(log_level)) {}

ServicesCloud::~ServicesCloud() {
  admin_.reset();
  broker_.reset();  // SIGTERM; exit 0 expected (BrokerProcess checks it)
}

void ServicesCloud::start() {
  BrokerOptions options;
  options.tcp = false;  // TLS only
  options.tls = true;
  options.tls_files = {pki_.server().cert, pki_.server().key, pki_.ca(), ""};
  options.require_client_cert = false;  // verified when presented; password callers send none
  options.allow_anonymous = false;
  options.acl_default = "deny";
  options.data_dir_path = data_dir_;
  options.tls_port = port_;
  options.log_level = log_level_;
  broker_ = std::make_unique<BrokerProcess>(options);
  port_ = broker_->tls_port();
  admin_ = std::make_unique<PolicyAdmin>(*broker_);
}

void ServicesCloud::stop() {
  admin_.reset();
  if (broker_) broker_->stop();
  broker_.reset();
}

void ServicesCloud::apply(std::vector<std::vector<std::string>> changes) {
  // PolicyAdmin waits for a reload showing the rule or user count a user/acl command leads to,
  // which the unwaited commands before it would skew; a grant has no count (a newer generation
  // is all it waits for), so one goes last. Without one, every command waits for its reload.
  const auto is_grant = [](const std::vector<std::string>& args) {
    return args.size() >= 2 && args[0] == "service" && args[1] == "grant";
  };
  const auto grant = std::find_if(changes.rbegin(), changes.rend(), is_grant);
  if (grant == changes.rend()) {
    for (const auto& change : changes) admin_->change(change);
    return;
  }
  std::rotate(grant.base() - 1, grant.base(), changes.end());
  for (std::size_t i = 0; i + 1 < changes.size(); ++i) {
    const ArkmqctlResult result = admin_->run(changes[i]);
    if (!result.ok()) {
      std::string line;
      for (const auto& arg : changes[i]) line += " " + arg;
      throw std::runtime_error("arkmqctl" + line + " failed: " + result.describe());
    }
  }
  if (!changes.empty()) admin_->change(changes.back());
}

mqtt::connect_options tls_v5_options(const std::string& ca, const CallerAuth& auth,
                                     bool clean_start, std::uint32_t session_expiry,
                                     bool request_response_information) {
  auto ssl = mqtt::ssl_options_builder().trust_store(ca).enable_server_cert_auth(true).finalize();
  if (auth.cert != nullptr) {
    ssl.set_key_store(auth.cert->cert);
    ssl.set_private_key(auth.cert->key);
  }
  mqtt::properties properties;
  if (session_expiry > 0) {
    properties.add({mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<int>(session_expiry)});
  }
  if (request_response_information) {
    properties.add({mqtt::property::REQUEST_RESPONSE_INFORMATION, 1});
  }
  auto options = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_5)
                     .clean_start(clean_start)
                     .keep_alive_interval(std::chrono::seconds(10))
                     .connect_timeout(std::chrono::seconds(5))
                     .properties(properties)
                     .ssl(ssl)
                     .finalize();
  if (!auth.username.empty()) {
    options.set_user_name(auth.username);
    options.set_password(auth.password);
  }
  return options;
}

int publish_reason(PahoClient& client, const std::string& topic, const std::string& payload,
                   const mqtt::properties& properties) {
  try {
    return static_cast<int>(client.publish(topic, payload, 1, false, properties));
  } catch (const mqtt::exception& error) {
    return error.get_reason_code() > 0 ? error.get_reason_code() : -1;
  }
}

int mosquitto_pub_reason(std::uint16_t port, const std::string& ca, const CertKey& cert,
                         const std::string& topic, const std::string& payload,
                         const std::string& correlation,
                         const std::vector<std::pair<std::string, std::string>>& user_properties) {
  std::vector<std::string> argv{"mosquitto_pub", "-V", "5", "-d", "-q", "1", "-h", "127.0.0.1",
                                "-p", std::to_string(port), "--cafile", ca, "--cert", cert.cert,
                                "--key", cert.key, "-t", topic, "-m", payload, "-D", "publish",
                                "correlation-data", correlation};
  for (const auto& [name, value] : user_properties) {
    argv.insert(argv.end(), {"-D", "publish", "user-property", name, value});
  }
  const CommandResult result = run_command(argv, 10s);
  static const std::regex puback(R"(received PUBACK \(Mid: [0-9]+, RC:([0-9]+)\))");
  std::smatch m;
  if (!std::regex_search(result.output, m, puback)) return -1;
  return std::stoi(m[1].str());
}

std::string message_text(const mqtt::const_message_ptr& message) {
  std::string text = message->get_topic() + "\n" + message->get_payload_str() + "\n";
  const auto& props = message->get_properties();
  for (const auto id : {mqtt::property::CONTENT_TYPE, mqtt::property::RESPONSE_TOPIC,
                        mqtt::property::CORRELATION_DATA}) {
    if (props.contains(id)) text += mqtt::get<std::string>(props, id) + "\n";
  }
  const std::size_t count = props.count(mqtt::property::USER_PROPERTY);
  for (std::size_t i = 0; i < count; ++i) {
    const auto pair = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY, i);
    text += std::get<0>(pair) + "=" + std::get<1>(pair) + "\n";
  }
  return text;
}

std::string CallOutcome::status() const { return user_property(reply, "svc-status"); }
std::string CallOutcome::property(const std::string& name) const {
  return user_property(reply, name);
}
std::string CallOutcome::payload() const { return reply ? reply->get_payload_str() : ""; }

std::string CallOutcome::describe() const {
  std::string text = "PUBACK " + std::to_string(puback) + ", after " +
                     std::to_string(elapsed.count()) + " ms, ";
  if (!reply) return text + "no reply";
  return text + "reply:\n" + message_text(reply);
}

Caller::Caller(const std::string& uri, const std::string& ca, const std::string& stem,
               const CallerAuth& auth)
    : client_id_(unique_client_id(stem)),
      client_(std::make_unique<PahoClient>(uri, client_id_, 5)) {
  const auto response = client_->connect(tls_v5_options(ca, auth, true, 0, true));
  const auto& props = response.get_properties();
  if (props.contains(mqtt::property::RESPONSE_INFORMATION)) {
    response_information_ = mqtt::get<std::string>(props, mqtt::property::RESPONSE_INFORMATION);
  }
  const auto codes = client_->subscribe(inbox() + "#", 1);
  inbox_suback_ = codes.empty() ? -1 : static_cast<int>(codes.front());
}

CallOutcome Caller::call(const CallRequest& request, std::chrono::milliseconds wait) {
  const std::string correlation = "corr-" + std::to_string(++calls_) + "-" + client_id_;
  mqtt::properties props;
  props.add({mqtt::property::RESPONSE_TOPIC, inbox() + "replies"});
  props.add({mqtt::property::CORRELATION_DATA, correlation});
  if (request.timeout_ms) {
    props.add({mqtt::property::USER_PROPERTY, std::string("svc-timeout-ms"),
               std::to_string(*request.timeout_ms)});
  }
  if (request.node) {
    props.add({mqtt::property::USER_PROPERTY, std::string("svc-node"), *request.node});
  }
  CallOutcome outcome;
  const auto started = Clock::now();
  outcome.puback = publish_reason(*client_, "$svc/call/" + request.service + "/" + request.method,
                                  request.payload, props);
  const Deadline deadline(wait);
  // Bounded by the deadline; each round scans the messages that arrived since the last.
  for (std::size_t seen = 0;;) {
    const auto messages = client_->messages().messages();
    for (; seen < messages.size(); ++seen) {
      const auto& m = messages[seen];
      const auto& p = m->get_properties();
      if (p.contains(mqtt::property::CORRELATION_DATA) &&
          mqtt::get<std::string>(p, mqtt::property::CORRELATION_DATA) == correlation) {
        outcome.reply = m;
        outcome.elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        return outcome;
      }
    }
    if (deadline.expired()) break;
    client_->messages().wait_for(seen + 1, std::chrono::milliseconds(deadline.remaining_ms()));
  }
  outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return outcome;
}

std::optional<nlohmann::json> wait_for_registry(
    MessageCollector& messages, const std::string& service,
    const std::function<bool(const nlohmann::json&)>& match, std::chrono::milliseconds timeout,
    std::size_t from) {
  const std::string topic = "$svc/registry/" + service;
  const Deadline deadline(timeout);
  for (std::size_t seen = from;;) {
    const auto all = messages.messages();
    for (; seen < all.size(); ++seen) {
      if (all[seen]->get_topic() != topic) continue;
      const auto body = nlohmann::json::parse(all[seen]->get_payload_str(), nullptr, false);
      if (!body.is_discarded() && match(body)) return body;
    }
    if (deadline.expired()) return std::nullopt;
    messages.wait_for(seen + 1, std::chrono::milliseconds(deadline.remaining_ms()));
  }
}

bool lists_available(const nlohmann::json& registry, const std::string& node) {
  if (!registry.contains("nodes") || !registry["nodes"].is_array()) return false;
  for (const auto& entry : registry["nodes"]) {
    if (entry.value("node", "") == node && entry.value("available", false)) return true;
  }
  return false;
}

}  // namespace arkmq::test
