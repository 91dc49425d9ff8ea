// The MQTT side of `arkmqctl audit replay`: the broker URL, one connection through Paho MQTT C++
// (MQTT 5, falling back to 3.1.1 when the broker refuses 5), and publishes one at a time so the
// broker receives them in the journal's order. Main thread only (Paho's own threads stay inside).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace arkmq::ctl {

struct ReplayTarget {
  std::string url;        // mqtt://host[:port] (1883) or mqtts://host[:port] (8883)
  std::string client_id;
  std::string ca_file;    // mqtts: the CA bundle that signed the broker's certificate
  std::string cert_file;  // mqtts: a client certificate and its key, for brokers that ask
  std::string key_file;
  std::string username;
  std::optional<std::string> password;
};

struct ReplayMessage {
  std::string topic;
  int qos = 0;
  bool retain = false;
  std::vector<std::byte> payload;
};

// The Paho server URI ("tcp://host:port", "ssl://host:port") and whether it is TLS; the error is
// a usage message.
struct ServerUri {
  std::string uri;
  bool tls = false;
};
tl::expected<ServerUri, std::string> parse_broker_url(std::string_view url);

class ReplayPublisher {
 public:
  // Connects and waits for CONNACK (10 s at most); the error is one line for the user.
  static tl::expected<ReplayPublisher, std::string> connect(const ReplayTarget& target);
  ReplayPublisher(ReplayPublisher&&) noexcept;
  ReplayPublisher& operator=(ReplayPublisher&&) noexcept;
  ~ReplayPublisher();  // disconnects

  // Publishes and waits until the broker has it (PUBACK/PUBCOMP for QoS 1/2).
  tl::expected<void, std::string> publish(const ReplayMessage& message);
  int mqtt_version() const;  // 5 or 4 (3.1.1)

 private:
  struct Impl;
  explicit ReplayPublisher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace arkmq::ctl
