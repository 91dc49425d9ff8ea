// BrokerClient on Paho MQTT C++ 1.2: option checks, password sources, connect, subscribe,
// publish and the received-message queue. Paho reports failures with exceptions; they are
// caught here and become Failures, so the command code sees values only.
#include "tools/arkmqctl/broker_client.hpp"

#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>

#include <mqtt/async_client.h>

#include "broker/protocol/reason_code.hpp"
#include "tools/arkmqctl/audit_replay.hpp"
#include "tools/arkmqctl/password_input.hpp"

namespace arkmq::ctl {

namespace {

constexpr auto kOperationTimeout = std::chrono::seconds(10);

tl::unexpected<Failure> no_broker(std::string message) {
  return tl::unexpected(Failure{kExitNoBroker, std::move(message)});
}

std::string describe(const mqtt::exception& error) {
  if (const int reason = error.get_reason_code(); reason != 0) {
    return std::string(error.what()) + " (" + reason_text(reason) + ")";
  }
  // Paho reports a refused MQTT 5 CONNACK as the return code, with the reason code's value.
  if (const int code = error.get_return_code(); code >= 0x80 && code <= 0xff) {
    return "the broker refused the connection (" + reason_text(code) + ")";
  }
  return error.what();
}

// The Paho URI for --broker. ssl:// is Paho's own spelling of mqtts://; the URL parser is
// audit replay's (its messages name --to, so they are re-labelled here).
tl::expected<ServerUri, Failure> server_uri(const std::string& url) {
  std::string normal = url;
  if (normal.rfind("ssl://", 0) == 0) normal = "mqtts://" + normal.substr(6);
  auto parsed = parse_broker_url(normal);
  if (!parsed) {
    std::string message = parsed.error();
    if (message.rfind("--to ", 0) == 0) message = message.substr(5);
    const auto colon = message.find(": ");
    const std::string why = colon == std::string::npos ? message : message.substr(colon + 2);
    return usage_error("--broker " + url + ": " +
                       (why.find("use mqtt://") == 0
                            ? std::string("use mqtt://host:port, mqtts://host:port or "
                                          "ssl://host:port")
                            : why));
  }
  return *parsed;
}

// The password from exactly one source: --password-file, --password-stdin, --password, else
// $ARKMQ_PASSWORD (only with --username: a certificate login needs none).
tl::expected<std::optional<std::string>, Failure> read_password(const Context& ctx,
                                                                const BrokerOptions& o) {
  const int sources = static_cast<int>(o.password_file_option->count() > 0) +
                      static_cast<int>(o.password_stdin) +
                      static_cast<int>(o.password_option->count() > 0);
  if (sources > 1) {
    return usage_error("choose one of --password-file, --password-stdin, --password");
  }
  if (sources == 1 && o.username.empty()) {
    return usage_error("a password needs --username");
  }
  if (o.password_file_option->count() > 0) {
    std::ifstream in(o.password_file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      return usage_error("--password-file " + o.password_file + ": cannot read a line");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (o.password_stdin) return read_password_line();
  if (o.password_option->count() > 0) {
    ctx.warn(
        "--password is visible to other local users (process list, shell history); prefer "
        "--password-file or $ARKMQ_PASSWORD");
    return o.password;
  }
  if (o.username.empty()) return std::nullopt;
  if (const char* env = std::getenv("ARKMQ_PASSWORD"); env != nullptr) return std::string(env);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ReceivedMessage::user_property(const std::string& name) const {
  for (const auto& [key, value] : user_properties) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string reason_text(int reason) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned>(reason) & 0xffU;
  std::string text = "0x";
  text += kHex[byte >> 4U];
  text += kHex[byte & 0xfU];
  if (reason < 0 || reason > 0xff) return "code " + std::to_string(reason);
  text += " ";
  text += protocol::to_string(static_cast<protocol::ReasonCode>(byte));
  return text;
}

std::string random_hex(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::string out;
  out.reserve(bytes * 2);
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto value = static_cast<unsigned>(device()) & 0xffU;
    out += kHex[value >> 4U];
    out += kHex[value & 0xfU];
  }
  return out;
}

void add_broker_options(CLI::App* command, BrokerOptions& o) {
  command
      ->add_option("--broker", o.url,
                   "The broker: mqtts://host:port (default mqtts://127.0.0.1:8883, the dev "
                   "broker), ssl://host:port or mqtt://host:port; env ARKMQ_BROKER")
      ->envname("ARKMQ_BROKER");
  command->add_option("--username", o.username, "User name for CONNECT");
  o.password_file_option =
      command->add_option("--password-file", o.password_file,
                          "Read the password from the first line of this file (else "
                          "$ARKMQ_PASSWORD is used with --username)")
          ->check(CLI::ExistingFile);
  command->add_flag("--password-stdin", o.password_stdin,
                    "Read the password from the first line of stdin");
  o.password_option = command->add_option(
      "--password", o.password, "The password (visible in the process list: prefer the others)");
  o.ca_option = command
                    ->add_option("--cafile,--tls-ca", o.ca_file,
                                 "mqtts: CA certificates (PEM) that signed the broker's (default: "
                                 "the system's)")
                    ->check(CLI::ExistingFile);
  o.cert_option =
      command->add_option("--cert,--tls-cert", o.cert_file, "mqtts: client certificate (PEM)")
          ->check(CLI::ExistingFile);
  o.key_option = command
                     ->add_option("--key,--tls-key", o.key_file,
                                  "mqtts: the client certificate's private key (PEM)")
                     ->check(CLI::ExistingFile);
  command->add_option("--client-id", o.client_id, "Client id (default: arkmqctl-PID-RANDOM)");
  command
      ->add_option("--connect-timeout", o.connect_timeout_s,
                   "Seconds to wait for the connection (default 10)")
      ->check(CLI::Range(0.1, 600.0));
}

struct BrokerClient::Impl {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<ReceivedMessage> queue;
  bool lost = false;
  std::string client_id;
  std::optional<std::string> response_information;
  std::chrono::milliseconds timeout{kOperationTimeout};
  // Last: destroyed first, which ends Paho's threads before the queue they feed goes away.
  std::unique_ptr<mqtt::async_client> client;

  void push(const mqtt::message& message) {
    ReceivedMessage out;
    out.topic = message.get_topic();
    out.payload = message.get_payload_str();
    out.retained = message.is_retained();
    const mqtt::properties& props = message.get_properties();
    using code = mqtt::property::code;
    if (props.contains(code::CORRELATION_DATA)) {
      out.correlation_data = mqtt::get<std::string>(props, code::CORRELATION_DATA);
    }
    if (props.contains(code::CONTENT_TYPE)) {
      out.content_type = mqtt::get<std::string>(props, code::CONTENT_TYPE);
    }
    const std::size_t users = props.count(code::USER_PROPERTY);
    for (std::size_t i = 0; i < users; ++i) {
      auto pair = mqtt::get<mqtt::string_pair>(props, code::USER_PROPERTY, i);
      out.user_properties.emplace_back(std::get<0>(pair), std::get<1>(pair));
    }
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(out));
    }
    changed.notify_all();
  }

  void mark_lost() {
    {
      std::lock_guard lock(mutex);
      lost = true;
    }
    changed.notify_all();
  }
};

BrokerClient::BrokerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BrokerClient::BrokerClient(BrokerClient&&) noexcept = default;
BrokerClient& BrokerClient::operator=(BrokerClient&&) noexcept = default;

BrokerClient::~BrokerClient() {
  if (!impl_ || !impl_->client) return;
  try {
    if (impl_->client->is_connected()) {
      impl_->client->disconnect()->wait_for(std::chrono::seconds(3));
    }
  } catch (const mqtt::exception&) {
    // The broker may be gone already; nothing is left to clean up.
  }
}

tl::expected<BrokerClient, Failure> BrokerClient::connect(const Context& ctx,
                                                          const BrokerOptions& o,
                                                          bool request_response_information) {
  auto server = server_uri(o.url);
  if (!server) return tl::unexpected(server.error());
  if (!server->tls && (o.ca_option->count() + o.cert_option->count() + o.key_option->count()) > 0) {
    return usage_error("--cafile, --cert and --key need an mqtts:// (or ssl://) broker URL");
  }
  if (o.cert_option->count() != o.key_option->count()) {
    return usage_error("--cert and --key go together");
  }
  auto password = read_password(ctx, o);
  if (!password) return tl::unexpected(password.error());

  auto impl = std::make_unique<Impl>();
  impl->client_id = o.client_id.empty()
                        ? "arkmqctl-" + std::to_string(::getpid()) + "-" + random_hex(3)
                        : o.client_id;
  const auto timeout = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::ceil(o.connect_timeout_s * 1000.0)));
  try {
    impl->client = std::make_unique<mqtt::async_client>(server->uri, impl->client_id,
                                                        mqtt::create_options(MQTTVERSION_5));
    Impl* raw = impl.get();  // stable: the Impl lives on the heap for the client's lifetime
    impl->client->set_message_callback(
        [raw](mqtt::const_message_ptr message) { raw->push(*message); });
    impl->client->set_connection_lost_handler([raw](const std::string&) { raw->mark_lost(); });
    impl->client->set_disconnected_handler(
        [raw](const mqtt::properties&, mqtt::ReasonCode) { raw->mark_lost(); });

    mqtt::properties properties;
    if (request_response_information) {
      properties.add({mqtt::property::REQUEST_RESPONSE_INFORMATION, 1});
    }
    mqtt::connect_options_builder builder;
    builder.mqtt_version(MQTTVERSION_5)
        .clean_start(true)
        .keep_alive_interval(std::chrono::seconds(30))
        .connect_timeout(std::chrono::duration_cast<std::chrono::seconds>(timeout) +
                         std::chrono::seconds(1))
        .automatic_reconnect(false);
    if (!o.username.empty()) builder.user_name(o.username);
    if (*password) builder.password(**password);
    if (server->tls) {
      mqtt::ssl_options_builder ssl;
      if (!o.ca_file.empty()) ssl.trust_store(o.ca_file);
      if (!o.cert_file.empty()) ssl.key_store(o.cert_file);
      if (!o.key_file.empty()) ssl.private_key(o.key_file);
      ssl.enable_server_cert_auth(true);
      ssl.verify(true);  // the broker's certificate must name the host in --broker
      builder.ssl(ssl.finalize());
    }
    // The options object outlives the connect call: Paho 1.2's copies point at the source's
    // properties (see tests/support/paho_helpers.cpp).
    mqtt::connect_options options = builder.finalize();
    options.set_properties(properties);
    auto token = impl->client->connect(options);
    if (!token->wait_for(timeout)) {
      return no_broker("no CONNACK from " + o.url + " within " +
                       std::to_string(timeout.count()) + " ms");
    }
    const auto response = token->get_connect_response();  // by value: keep it alive
    const auto& connack = response.get_properties();
    if (connack.contains(mqtt::property::RESPONSE_INFORMATION)) {
      impl->response_information =
          mqtt::get<std::string>(connack, mqtt::property::RESPONSE_INFORMATION);
    }
  } catch (const mqtt::exception& error) {
    std::string hint;
    if (error.get_return_code() == MQTTASYNC_FAILURE && server->tls) {
      // Paho says only "TCP/TLS connect failure" for both a closed port and a refused
      // certificate.
      hint = " (is the broker listening there? is its certificate signed by a CA in --cafile, "
             "default the system's, and does it name the host?)";
    }
    return no_broker("cannot connect to " + o.url + ": " + describe(error) + hint);
  }
  return BrokerClient(std::move(impl));
}

const std::string& BrokerClient::client_id() const { return impl_->client_id; }

const std::optional<std::string>& BrokerClient::response_information() const {
  return impl_->response_information;
}

tl::expected<void, Failure> BrokerClient::subscribe(const std::string& filter) {
  try {
    auto token = impl_->client->subscribe(filter, 1);
    if (!token->wait_for(impl_->timeout)) {
      return operation_error("no SUBACK for " + filter + " within 10 s");
    }
    const auto response = token->get_subscribe_response();
    for (const auto reason : response.get_reason_codes()) {
      if (static_cast<int>(reason) >= 0x80) {
        return operation_error("the broker refused the subscription to " + filter + " (" +
                               reason_text(static_cast<int>(reason)) + ")");
      }
    }
    return {};
  } catch (const mqtt::exception& error) {
    // Paho fails the token when the SUBACK refuses the filter.
    if (const int reason = error.get_reason_code(); reason >= 0x80) {
      return operation_error("the broker refused the subscription to " + filter + " (" +
                             reason_text(reason) + ")");
    }
    return operation_error("subscribe to " + filter + ": " + describe(error));
  }
}

tl::expected<int, Failure> BrokerClient::publish(const OutgoingCall& call) {
  try {
    auto message = mqtt::make_message(call.topic, call.payload.data(), call.payload.size(), 1,
                                      false);
    mqtt::properties props;
    using code = mqtt::property::code;
    props.add({code::RESPONSE_TOPIC, call.response_topic});
    props.add({code::CORRELATION_DATA, mqtt::binary_ref(call.correlation_data)});
    if (!call.content_type.empty()) props.add({code::CONTENT_TYPE, call.content_type});
    for (const auto& [name, value] : call.user_properties) {
      props.add({code::USER_PROPERTY, name, value});
    }
    message->set_properties(std::move(props));
    auto token = impl_->client->publish(message);
    if (!token->wait_for(impl_->timeout)) {
      return operation_error("no PUBACK for " + call.topic + " within 10 s");
    }
    return token->get_reason_code();
  } catch (const mqtt::exception& error) {
    // Paho fails the token when the PUBACK carries an error reason (0x87 not authorized...):
    // that is an answer, not a broken connection.
    if (const int reason = error.get_reason_code(); reason >= 0x80) return reason;
    return operation_error("publish to " + call.topic + ": " + describe(error));
  }
}

std::optional<ReceivedMessage> BrokerClient::next(Clock::time_point deadline) {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait_until(lock, deadline,
                            [&] { return !impl_->queue.empty() || impl_->lost; });
  if (impl_->queue.empty()) return std::nullopt;
  ReceivedMessage message = std::move(impl_->queue.front());
  impl_->queue.pop_front();
  return message;
}

bool BrokerClient::connection_lost() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->lost;
}

}  // namespace arkmq::ctl
