// The /metrics page: every broker metric in the Prometheus text format (docs/metrics.md), read
// at scrape time from the Metrics sink, Broker::stats/snapshot, the core's flow-control and
// memory counters, the audit journal and the connection-rate limiter. Runs on the HTTP
// endpoint's threads; everything it reads is thread-safe. Owner: ops-metrics.
#pragma once

#include <string>

#include "broker/app/metrics.hpp"
#include "broker/core/broker.hpp"
#include "broker/net/connection_rate_limiter.hpp"
#include "storage/audit_journal.hpp"

namespace arkmq::app {

struct MetricsSources {
  core::Broker* broker = nullptr;   // required; outlives the endpoint
  const Metrics* metrics = nullptr;  // required
  const storage::AuditJournal* journal = nullptr;  // null: audit off
  const net::ConnectionRateLimiter* connection_rate = nullptr;  // null: limit off
};

// The exposition text (PrometheusText::kContentType).
std::string render_metrics(const MetricsSources& sources);

}  // namespace arkmq::app
