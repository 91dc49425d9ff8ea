// A cloud application calling an edge service through arkmq, on Paho MQTT C++ only
// (docs/services.md walks through it). It connects with TLS and a user name, lists the services
// its call grants cover ($svc/registry/+), calls one method and prints the result.
//
//   ARKMQ_PASSWORD=... arkmq-example-cloud-app ssl://127.0.0.1:8883 ca.pem alice plc read '{"tag":"t1"}'
//
// Exit 0 when the service answered `svc-status: ok`, 1 otherwise.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

namespace {

using namespace std::chrono_literals;

std::string user_property(const mqtt::properties& props, const std::string& name) {
  for (std::size_t i = 0; i < props.count(mqtt::property::USER_PROPERTY); ++i) {
    const auto pair = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY, i);
    if (std::get<0>(pair) == name) return std::get<1>(pair);
  }
  return "";
}

std::string random_token() {
  std::random_device random;
  return std::to_string(random()) + std::to_string(random());
}

// Prints every registry entry that arrives until none came for 300 ms (the broker sends the
// retained entries right after the SUBACK; MQTT has no end-of-retained marker).
void list_services(mqtt::async_client& client) {
  client.subscribe("$svc/registry/+", 1)->wait();
  mqtt::const_message_ptr message;
  while (client.try_consume_message_for(&message, 300ms) && message) {
    if (message->get_topic().rfind("$svc/registry/", 0) != 0) continue;
    const auto entry = nlohmann::json::parse(message->get_payload_str(), nullptr, false);
    if (!entry.is_object()) continue;
    std::cout << "service " << entry.value("service", "?")
              << (entry.value("available", false) ? " (available)" : " (unavailable)") << ", "
              << entry["nodes"].size() << " node(s)\n";
  }
}

// One call: request to $svc/call/S/M with a Response Topic inside our inbox and Correlation
// Data; the broker answers on that topic with the same correlation.
int call(mqtt::async_client& client, const std::string& inbox, const std::string& service,
         const std::string& method, const std::string& payload) {
  client.subscribe(inbox + "#", 1)->wait();
  const std::string reply_topic = inbox + "example-" + random_token();
  const std::string correlation = random_token();
  auto request = mqtt::make_message("$svc/call/" + service + "/" + method, payload, 1, false);
  request->set_properties({
      {mqtt::property::RESPONSE_TOPIC, reply_topic},
      {mqtt::property::CORRELATION_DATA, mqtt::binary_ref(correlation)},
      {mqtt::property::USER_PROPERTY, "svc-timeout-ms", "5000"},
  });
  try {
    client.publish(request)->wait();
  } catch (const mqtt::exception& error) {
    // A PUBACK with an error code (0x87: no call grant); the `denied` reply still follows.
    std::cerr << "the broker refused the call: " << error.what() << "\n";
  }
  const auto deadline = std::chrono::steady_clock::now() + 7s;  // the 5 s deadline + margin
  mqtt::const_message_ptr reply;
  while (client.try_consume_message_until(&reply, deadline) && reply) {
    const auto& props = reply->get_properties();
    if (reply->get_topic() != reply_topic ||
        mqtt::get<std::string>(props, mqtt::property::CORRELATION_DATA) != correlation) {
      continue;  // a registry update or an older reply
    }
    const std::string status = user_property(props, "svc-status");
    std::cout << service << "." << method << " -> " << status;
    if (status == "ok") {
      std::cout << " from " << user_property(props, "svc-node") << " in "
                << user_property(props, "svc-latency-ms") << " ms: " << reply->get_payload_str()
                << "\n";
      return 0;
    }
    std::cout << ": " << user_property(props, "svc-error") << "\n";
    return 1;
  }
  std::cout << service << "." << method << " -> no reply\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6 || argc > 7) {
    std::cerr << "usage: " << argv[0]
              << " BROKER_URI CA_FILE USER SERVICE METHOD [PAYLOAD]   (password in "
                 "$ARKMQ_PASSWORD)\n";
    return 2;
  }
  const std::string uri = argv[1], ca = argv[2], user = argv[3], service = argv[4],
                    method = argv[5], payload = argc == 7 ? argv[6] : "";
  const char* password = std::getenv("ARKMQ_PASSWORD");
  try {
    mqtt::async_client client(uri, "cloud-app-" + random_token(),
                              mqtt::create_options(MQTTVERSION_5));
    client.start_consuming();  // received messages queue up for try_consume_message_*
    auto ssl = mqtt::ssl_options_builder().trust_store(ca).verify(true).finalize();
    auto options = mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_5)
                       .clean_start(true)
                       .user_name(user)
                       .password(password != nullptr ? password : "")
                       .ssl(ssl)
                       .finalize();
    // Request Response Information: CONNACK then carries our inbox, `$svc/inbox/<client id>/`.
    const mqtt::properties request_info{{mqtt::property::REQUEST_RESPONSE_INFORMATION, 1}};
    options.set_properties(request_info);
    const auto connack = client.connect(options)->get_connect_response();
    const auto& props = connack.get_properties();
    if (!props.contains(mqtt::property::RESPONSE_INFORMATION)) {
      std::cerr << "the broker offers no inbox: it does not support service calls\n";
      return 1;
    }
    const auto inbox = mqtt::get<std::string>(props, mqtt::property::RESPONSE_INFORMATION);

    list_services(client);
    const int result = call(client, inbox, service, method, payload);
    client.disconnect()->wait();
    return result;
  } catch (const mqtt::exception& error) {
    std::cerr << "MQTT error: " << error.what() << "\n";
    return 1;
  }
}
