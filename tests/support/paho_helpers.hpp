// Paho MQTT C++ clients for integration tests: connect options for v3.1.1 and v5, and a client
// wrapper that collects messages and server disconnects behind a condition variable (no sleeps).
// A PahoClient is driven from one test thread; Paho's callback thread only feeds the collectors.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <mqtt/async_client.h>

namespace arkmq::test {

using namespace std::chrono_literals;

inline constexpr auto kPahoTimeout = std::chrono::seconds(5);

// Clean session, keep alive 10 s, 5 s connect timeout, MQTT 3.1.1.
mqtt::connect_options v311_options(bool clean_session = true);
// Clean start as given, Session Expiry Interval as given (0 = ends with the connection), MQTT 5.
mqtt::connect_options v5_options(bool clean_start = true, std::uint32_t session_expiry = 0);

// Messages received by a client, in arrival order, safe to read from the test thread.
class MessageCollector {
 public:
  void add(mqtt::const_message_ptr message);
  // True once at least `count` messages have arrived; false at the deadline.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout);
  // True once a message with this payload has arrived (a marker published after the messages
  // that must NOT arrive: per-connection ordering makes their absence observable).
  bool wait_for_payload(const std::string& payload, std::chrono::milliseconds timeout);
  std::vector<mqtt::const_message_ptr> messages() const;
  std::size_t size() const;
  std::vector<std::string> payloads() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<mqtt::const_message_ptr> messages_;
};

class PahoClient {
 public:
  // `version` is 4 (3.1.1) or 5. No persistence: in-flight state lives in memory.
  PahoClient(const std::string& uri, const std::string& client_id, int version);
  ~PahoClient();
  PahoClient(const PahoClient&) = delete;
  PahoClient& operator=(const PahoClient&) = delete;

  // Throws mqtt::exception on a refused or failed connect.
  mqtt::connect_response connect(const mqtt::connect_options& options);
  // One filter; returns the SUBACK reason codes (v311 codes are the granted QoS or 0x80).
  std::vector<mqtt::ReasonCode> subscribe(const std::string& filter, int qos,
                                          const mqtt::subscribe_options& options = {},
                                          const mqtt::properties& properties = {});
  std::vector<mqtt::ReasonCode> unsubscribe(const std::string& filter);
  // Publishes and waits for completion (PUBACK/PUBCOMP for QoS 1/2); returns the token's reason.
  mqtt::ReasonCode publish(const std::string& topic, const std::string& payload, int qos = 0,
                           bool retain = false, const mqtt::properties& properties = {});
  void publish_message(mqtt::message_ptr message);
  void disconnect(mqtt::ReasonCode reason = mqtt::ReasonCode::NORMAL_DISCONNECTION);

  // The reason code of a DISCONNECT sent by the server (v5), once it arrives; nullopt at timeout.
  std::optional<int> wait_for_server_disconnect(std::chrono::milliseconds timeout);
  // True once the connection is gone (server DISCONNECT or network loss).
  bool wait_for_connection_lost(std::chrono::milliseconds timeout);

  mqtt::async_client& client() { return client_; }
  MessageCollector& messages() { return messages_; }

 private:
  // Everything Paho's callback threads touch is declared before client_, so it is destroyed
  // after client_ (whose destructor ends those threads): a late callback during teardown must
  // never find the collector or the mutex already gone (CI saw "corrupted double-linked list").
  MessageCollector messages_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<int> server_disconnect_;
  bool lost_ = false;
  mqtt::async_client client_;
};

// A unique client id per test run, so parallel tests never take over each other's sessions.
std::string unique_client_id(const std::string& stem);

// The first MQTT 5 user property `name` of a received message; empty when absent (or no message).
std::string user_property(const mqtt::const_message_ptr& message, const std::string& name);

}  // namespace arkmq::test
