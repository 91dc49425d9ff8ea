// The JSON of GET /api/status (docs/status-page.md): what the status page shows, built from
// copies (snapshot, stats, rate samples, recent events), so any thread may call it. Pure
// functions. Owner: ops-status.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "broker/app/status_events.hpp"
#include "broker/app/status_rates.hpp"
#include "broker/core/broker.hpp"
#include "broker/core/broker_snapshot.hpp"

namespace arkmq::app {

struct StatusInputs {
  std::string version;
  std::chrono::seconds uptime{0};
  std::chrono::system_clock::time_point now;
  std::size_t client_limit = 0;  // the most clients listed (the snapshot's max_clients)
  core::BrokerSnapshot snapshot;
  core::BrokerStats stats;
  std::vector<RateSample> rates;  // oldest first
  StatusEventList denials;
  StatusEventList quota_hits;
};

// Serialised with invalid UTF-8 replaced (U+FFFD), so a hostile string never breaks the body.
std::string status_json(const StatusInputs& inputs);

}  // namespace arkmq::app
