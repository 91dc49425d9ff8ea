// ReplayPublisher on Paho MQTT C++ 1.2. Paho reports failures with exceptions; they are caught
// here and turned into one-line errors, so the command code sees values only.
#include "tools/arkmqctl/audit_replay.hpp"

#include <chrono>

#include <mqtt/async_client.h>

namespace arkmq::ctl {

namespace {

constexpr auto kTimeout = std::chrono::seconds(10);

// Reason codes after which trying MQTT 3.1.1 cannot help: the broker understood MQTT 5 and
// refused the client (MQTT 5 table 3.1.2.11 / CONNACK reason codes).
bool is_final_refusal(int reason) {
  return reason == 0x85 || reason == 0x86 || reason == 0x87 || reason == 0x8a ||
         reason == 0x8c;  // client id, credentials, not authorized, banned, auth method
}

std::string describe(const mqtt::exception& error) {
  std::string text = error.what();
  if (error.get_reason_code() != 0) {
    text += " (reason code " + std::to_string(error.get_reason_code()) + ")";
  }
  return text;
}

}  // namespace

tl::expected<ServerUri, std::string> parse_broker_url(std::string_view url) {
  ServerUri result;
  std::string_view rest;
  int default_port = 0;
  if (url.rfind("mqtt://", 0) == 0) {
    rest = url.substr(7);
    default_port = 1883;
  } else if (url.rfind("mqtts://", 0) == 0) {
    rest = url.substr(8);
    default_port = 8883;
    result.tls = true;
  } else {
    return tl::unexpected("--to " + std::string(url) +
                          ": use mqtt://host:port or mqtts://host:port");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string_view host = rest;
  std::string_view port;
  if (rest.rfind('[', 0) == 0) {  // [::1]:1883
    const auto close = rest.find(']');
    if (close == std::string_view::npos)
      return tl::unexpected("--to " + std::string(url) + ": missing ']'");
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return tl::unexpected("--to " + std::string(url) + ": bad port");
      port = rest.substr(close + 2);
    }
  } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of("/@?# ") != std::string_view::npos) {
    return tl::unexpected("--to " + std::string(url) + ": expected mqtt://host:port");
  }
  int number = default_port;
  if (!port.empty() || rest.back() == ':') {
    number = 0;
    if (port.empty() || port.size() > 5)
      return tl::unexpected("--to " + std::string(url) + ": bad port");
    for (const char c : port) {
      if (c < '0' || c > '9') return tl::unexpected("--to " + std::string(url) + ": bad port");
      number = number * 10 + (c - '0');
    }
    if (number < 1 || number > 65535) {
      return tl::unexpected("--to " + std::string(url) + ": port must be 1 to 65535");
    }
  }
  result.uri = std::string(result.tls ? "ssl://" : "tcp://") + std::string(host) + ":" +
               std::to_string(number);
  return result;
}

struct ReplayPublisher::Impl {
  std::unique_ptr<mqtt::async_client> client;
  int version = 5;
};

ReplayPublisher::ReplayPublisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReplayPublisher::ReplayPublisher(ReplayPublisher&&) noexcept = default;
ReplayPublisher& ReplayPublisher::operator=(ReplayPublisher&&) noexcept = default;

ReplayPublisher::~ReplayPublisher() {
  if (!impl_ || !impl_->client) return;
  try {
    if (impl_->client->is_connected()) impl_->client->disconnect()->wait_for(kTimeout);
  } catch (const mqtt::exception&) {
    // The broker may be gone already; there is nothing left to clean up.
  }
}

tl::expected<ReplayPublisher, std::string> ReplayPublisher::connect(const ReplayTarget& target) {
  auto server = parse_broker_url(target.url);
  if (!server) return tl::unexpected(server.error());
  std::string last_error;
  for (const int version : {MQTTVERSION_5, MQTTVERSION_3_1_1}) {
    try {
      auto impl = std::make_unique<Impl>();
      impl->version = version;
      impl->client = std::make_unique<mqtt::async_client>(server->uri, target.client_id,
                                                          mqtt::create_options(version));
      mqtt::connect_options_builder builder;
      builder.mqtt_version(version)
          .keep_alive_interval(std::chrono::seconds(30))
          .connect_timeout(kTimeout);
      if (version == MQTTVERSION_5) {
        builder.clean_start(true);
      } else {
        builder.clean_session(true);
      }
      if (!target.username.empty()) builder.user_name(target.username);
      if (target.password) builder.password(*target.password);
      if (server->tls) {
        mqtt::ssl_options_builder ssl;
        if (!target.ca_file.empty()) ssl.trust_store(target.ca_file);
        if (!target.cert_file.empty()) ssl.key_store(target.cert_file);
        if (!target.key_file.empty()) ssl.private_key(target.key_file);
        ssl.enable_server_cert_auth(true);
        ssl.verify(true);  // the certificate must name the host in --to
        builder.ssl(ssl.finalize());
      }
      auto token = impl->client->connect(builder.finalize());
      if (!token->wait_for(kTimeout)) {
        last_error = "no CONNACK from " + target.url + " within 10 s";
        continue;
      }
      return ReplayPublisher(std::move(impl));
    } catch (const mqtt::exception& error) {
      last_error = "cannot connect to " + target.url + ": " + describe(error);
      if (is_final_refusal(error.get_reason_code())) break;
    }
  }
  return tl::unexpected(last_error);
}

tl::expected<void, std::string> ReplayPublisher::publish(const ReplayMessage& message) {
  try {
    auto paho_message = mqtt::make_message(message.topic, message.payload.data(),
                                           message.payload.size(), message.qos, message.retain);
    auto token = impl_->client->publish(paho_message);
    if (!token->wait_for(kTimeout))
      return tl::unexpected(std::string("no acknowledgement within 10 s"));
    // An MQTT 5 PUBACK/PUBREC may refuse the message with a reason code >= 0x80.
    if (const int reason = token->get_reason_code(); reason >= 0x80) {
      return tl::unexpected("refused by the broker (reason code " + std::to_string(reason) + ")");
    }
    return {};
  } catch (const mqtt::exception& error) {
    return tl::unexpected(describe(error));
  }
}

int ReplayPublisher::mqtt_version() const { return impl_->version == MQTTVERSION_5 ? 5 : 4; }

}  // namespace arkmq::ctl
