// arkmq-edge's status (docs/edge.md, "Status"): a snapshot of link state, services and outbox,
// as the retained JSON published on the local status topic. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edge-client/outbox.hpp"

namespace arkmq::edge {

enum class LinkState { connecting, up, down };
std::string to_string(LinkState state);

struct ServiceStatus {
  std::string name;
  std::string backend_kind;  // "http", "tcp" or "mqtt": never the address
  bool available = false;
};

struct StatusSnapshot {
  std::string node;
  LinkState link = LinkState::connecting;
  bool local_up = false;  // subscribed at the site broker
  std::int64_t reconnects = 0;
  std::vector<ServiceStatus> services;
  OutboxStats outbox;
  std::int64_t outbox_in_flight = 0;
  std::int64_t calls_ok = 0;
  std::int64_t calls_failed = 0;
  std::int64_t bridged_out = 0;
  std::int64_t bridged_in = 0;
  std::int64_t dropped_qos0 = 0;  // QoS 0 telemetry while the cloud link was down
};

std::string status_json(const StatusSnapshot& status);
// Human-readable lines for `arkmq-edge status` (from the JSON, so it reads any version).
std::string status_text(const std::string& json);

}  // namespace arkmq::edge
