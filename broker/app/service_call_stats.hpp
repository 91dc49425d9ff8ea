// ServiceCallStats: finished service calls per service and status, and a latency histogram per
// service, for the metrics. Fed from BrokerEvents::service_call on worker threads (a short mutex),
// read at scrape time. Owner: ops-metrics.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/broker_events.hpp"

namespace arkmq::app {

class ServiceCallStats {
 public:
  // Latency bucket upper bounds in seconds (a call's deadline is at most a minute or so).
  static constexpr std::array<double, 14> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                                     5,      30};
  // Calls name their service in the topic, so a caller could invent any number of them: past
  // this many distinct names, the rest are counted under kOverflow.
  static constexpr std::size_t kMaxServices = 256;
  static constexpr std::string_view kOverflow = "(other)";

  struct Values {
    std::string service;
    std::map<std::string, std::uint64_t, std::less<>> by_status;  // "ok" -> 12, ...
    // Only calls that reached a node (refused ones have no latency worth the name).
    std::array<std::uint64_t, kBounds.size()> buckets{};  // per bucket, not cumulative
    double latency_sum_seconds = 0;
    std::uint64_t latency_count = 0;
    std::uint64_t total() const;
  };

  void record(const core::ServiceCallFacts& call);
  // By service name.
  std::vector<Values> values() const;
  // All services together: ("ok", 12), ... by status name.
  std::map<std::string, std::uint64_t, std::less<>> totals_by_status() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Values, std::less<>> services_;  // guarded by mutex_
};

}  // namespace arkmq::app
