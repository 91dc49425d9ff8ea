// StatusPage: the broker's read-only status page (docs/status-page.md): GET / (HTML), /status.js,
// /status.css and /api/status (JSON) on the operators' HTTP endpoint. Owns the recent-events
// sink (added to the EventFanout) and the rate history (sampled once a second on the main
// thread). Its handlers run on the endpoint's threads and only read copies. Owner: ops-status.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "broker/app/status_events.hpp"
#include "broker/app/status_rates.hpp"
#include "broker/core/broker.hpp"
#include "broker/http/endpoint.hpp"

namespace arkmq::app {

struct StatusPageOptions {
  std::size_t max_clients = 500;  // clients listed (the total is always shown)
  std::size_t max_events = StatusEvents::kDefaultCapacity;      // per ring
  std::size_t rate_samples = RateHistory::kDefaultCapacity;     // 1 s each
};

class StatusPage {
 public:
  // `broker` must outlive the page and every endpoint its routes were added to.
  explicit StatusPage(const core::Broker& broker, StatusPageOptions options = {});

  // The sink for the EventFanout (before Broker::set_events).
  std::shared_ptr<StatusEvents> events() const { return events_; }
  // Once a second from one thread (StatusSampler): the rates since the previous call.
  void sample(core::Clock::time_point now);

  // GET /api/status. `?window=S` limits the rate samples to the last S seconds (default: all).
  http::Response api_status(const http::Query& query) const;
  // Adds "/", "/status.js", "/status.css" and "/api/status" to `endpoint` (before its start()).
  void add_routes(http::Endpoint& endpoint) const;

 private:
  const core::Broker& broker_;
  const StatusPageOptions options_;
  const core::Clock::time_point started_;
  std::shared_ptr<StatusEvents> events_;
  std::shared_ptr<RateHistory> rates_;
};

}  // namespace arkmq::app
