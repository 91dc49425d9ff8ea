// The MQTT 5 connection shared by `arkmqctl services list` and `arkmqctl call`: the broker
// options (URL, credentials, TLS, client id, connect timeout), one Paho MQTT C++ client, and the
// messages it receives, queued for the command. The main thread drives it; Paho's callback
// thread only appends to the queue (under its mutex).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <tl/expected.hpp>

#include "tools/arkmqctl/context.hpp"

namespace arkmq::ctl {

// A command that could not reach the broker or log in exits 2, like bad usage: nothing was
// attempted, so a script can tell it apart from an operation that ran and failed (exit 1).
inline constexpr int kExitNoBroker = kExitUsage;

inline constexpr const char* kDefaultBrokerUrl = "mqtts://127.0.0.1:8883";  // the dev broker

struct BrokerOptions {
  std::string url = kDefaultBrokerUrl;  // mqtt://, mqtts:// or ssl://host[:port]
  std::string username;
  std::string password;  // --password (warned: visible in the process list)
  std::string password_file;
  bool password_stdin = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string client_id;  // "" = arkmqctl-<pid>-<random>
  double connect_timeout_s = 10.0;
  CLI::Option* password_option = nullptr;
  CLI::Option* password_file_option = nullptr;
  CLI::Option* ca_option = nullptr;
  CLI::Option* cert_option = nullptr;
  CLI::Option* key_option = nullptr;
};

// Adds --broker, --username, --password-file, --password-stdin, --password, --cafile, --cert,
// --key, --client-id and --connect-timeout to `command`.
void add_broker_options(CLI::App* command, BrokerOptions& options);

// One message as the commands need it (Paho's types stay inside broker_client.cpp).
struct ReceivedMessage {
  std::string topic;
  std::string payload;  // bytes, not necessarily text
  bool retained = false;
  std::string correlation_data;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> user_properties;  // in wire order

  // The first user property called `name`, if any.
  std::optional<std::string> user_property(const std::string& name) const;
};

struct OutgoingCall {
  std::string topic;
  std::string payload;
  std::string response_topic;
  std::string correlation_data;
  std::string content_type;  // "" = none
  std::vector<std::pair<std::string, std::string>> user_properties;
};

class BrokerClient {
 public:
  using Clock = std::chrono::steady_clock;

  // Checks the options, reads the password, connects with MQTT 5 (Clean Start, no session) and
  // waits for CONNACK. With `request_response_information` the CONNECT asks for Response
  // Information (the broker answers with the client's inbox prefix). Usage problems and
  // connection failures are Failures with exit code 2.
  static tl::expected<BrokerClient, Failure> connect(const Context& ctx,
                                                     const BrokerOptions& options,
                                                     bool request_response_information);
  BrokerClient(BrokerClient&&) noexcept;
  BrokerClient& operator=(BrokerClient&&) noexcept;
  ~BrokerClient();  // disconnects (normal disconnection)

  const std::string& client_id() const;
  // CONNACK's Response Information, when the broker sent one.
  const std::optional<std::string>& response_information() const;

  // Subscribes `filter` with QoS 1 and waits for the SUBACK; a refusal is a Failure (exit 1)
  // naming the reason code.
  tl::expected<void, Failure> subscribe(const std::string& filter);

  // Publishes with QoS 1 and waits for the PUBACK; returns its reason code (0 = success,
  // >= 0x80 = refused). A lost connection or no PUBACK in time is a Failure (exit 1).
  tl::expected<int, Failure> publish(const OutgoingCall& call);

  // The next received message, waiting until `deadline`; nullopt at the deadline, or at once
  // when the connection is gone and nothing is queued.
  std::optional<ReceivedMessage> next(Clock::time_point deadline);
  bool connection_lost() const;

 private:
  struct Impl;
  explicit BrokerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "0x87 not authorized": a reason code with its MQTT 5 name, for messages.
std::string reason_text(int reason);

// `bytes` random bytes from std::random_device, as lowercase hex (2 * bytes characters).
std::string random_hex(std::size_t bytes);

}  // namespace arkmq::ctl
