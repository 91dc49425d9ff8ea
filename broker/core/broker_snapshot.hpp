// BrokerSnapshot: a copy of what operators look at (connected clients, the service registry),
// taken under the broker lock by Broker::snapshot and then read without it by the status page
// and the metrics. Owner: ops-status (may add fields).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace arkmq::core {

struct ClientSnapshot {
  std::string client_id;
  std::string principal;  // empty: anonymous
  std::string peer;       // "127.0.0.1:50412"
  std::string listener;   // "mqtts://127.0.0.1:8883"
  bool tls = false;
  std::uint8_t protocol_version = 0;  // 4 or 5
  std::size_t subscriptions = 0;
  std::size_t queued_messages = 0;
};

struct ServiceNodeSnapshot {
  std::string node;  // the node's principal
  bool available = false;
  std::vector<std::string> methods;  // empty: not declared (the node serves any method)
  std::string version;               // the announcement's "version" (may be empty)
};

struct ServiceSnapshot {
  std::string service;
  std::vector<ServiceNodeSnapshot> nodes;
};

struct BrokerSnapshot {
  std::size_t clients_connected = 0;    // all of them, however many are listed
  std::vector<ClientSnapshot> clients;  // at most the requested number, by client id
  std::vector<ServiceSnapshot> services;  // by service name
  std::size_t edge_nodes_online = 0;    // distinct node principals with an available entry
};

}  // namespace arkmq::core
