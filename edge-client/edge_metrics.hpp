// arkmq-edge's Prometheus metrics (docs/edge.md, "Metrics"): counters bumped by the cloud link,
// the outbox pump, the call path and the announcer, rendered together with the state read at
// scrape time. Thread-safe: every counter is a relaxed atomic in a slot fixed at construction.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "broker/http/endpoint.hpp"
#include "edge-client/backend.hpp"
#include "edge-client/edge_config.hpp"
#include "edge-client/status.hpp"

namespace arkmq::edge {

// Why a forwarded call got no backend exchange.
enum class CallRejection {
  unknown_service,  // answered backend_error
  unknown_method,   // answered backend_error
  busy,             // the call queue was full: answered backend_error
  invalid,          // no usable Response Topic / Correlation Data: dropped, no reply possible
};
inline constexpr std::size_t kCallRejectionCount = 4;

// What the other components know, read when /metrics is scraped (StatusSnapshot has most of it).
struct ScrapeState {
  StatusSnapshot status;
  std::vector<std::int64_t> checks_failed;  // per configured service
  std::optional<std::chrono::system_clock::duration> outbox_oldest_age;  // nullopt: empty
  std::int64_t outbox_refused_by_cloud = 0;
};

class EdgeMetrics {
 public:
  // Upper bounds (seconds) of the call latency buckets; backends time out at 60 s at most.
  static constexpr std::array<double, 14> kLatencyBounds = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  explicit EdgeMetrics(const std::vector<ServiceConfig>& services);
  ~EdgeMetrics();
  EdgeMetrics(const EdgeMetrics&) = delete;
  EdgeMetrics& operator=(const EdgeMetrics&) = delete;

  void link_connected(SteadyClock::time_point at);  // the cloud link came up
  void forwarded();                // a message handed to the cloud link for the first time
  void replayed();                 // an outbox message handed again, marked arkmq-replay: 1
  void announcement_sent(std::size_t service);
  // A backend exchange finished (service: index in the config; an unknown method is ignored).
  void call_finished(std::size_t service, std::string_view method, CallStatus status,
                     SteadyClock::duration latency);
  void call_rejected(CallRejection why);

  // The Prometheus text for `state` plus the counters. `now` dates the last connect.
  std::string render(const ScrapeState& state, SteadyClock::time_point now) const;

 private:
  struct MethodSlot;
  struct ServiceSlot;

  std::vector<std::unique_ptr<ServiceSlot>> services_;
  std::atomic<std::int64_t> last_connect_ns_{-1};  // steady clock; -1: never connected
  std::atomic<std::uint64_t> forwarded_{0};
  std::atomic<std::uint64_t> replayed_{0};
  std::array<std::atomic<std::uint64_t>, kCallRejectionCount> rejected_{};
};

std::string to_string(CallRejection why);

// Starts the /metrics listener of `config` (which must have a listen URL); `render` runs on the
// endpoint's threads for each scrape. Errors are one line.
tl::expected<std::unique_ptr<http::Endpoint>, std::string> start_metrics_endpoint(
    const MetricsConfig& config, std::function<std::string()> render);

}  // namespace arkmq::edge
