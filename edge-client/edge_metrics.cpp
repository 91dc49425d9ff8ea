// Edge counters and their Prometheus rendering; the /metrics endpoint.
#include "edge-client/edge_metrics.hpp"

#include <algorithm>

#include "broker/http/prometheus_text.hpp"
#include "edge-client/call_dispatch.hpp"

namespace arkmq::edge {
namespace {

constexpr std::size_t kBuckets = EdgeMetrics::kLatencyBounds.size() + 1;  // the last is +Inf
constexpr std::array<CallStatus, 2> kStatuses = {CallStatus::ok, CallStatus::backend_error};
constexpr std::array<CallRejection, kCallRejectionCount> kRejections = {
    CallRejection::unknown_service, CallRejection::unknown_method, CallRejection::busy,
    CallRejection::invalid};

constexpr auto kRelaxed = std::memory_order_relaxed;

double seconds(std::chrono::nanoseconds value) {
  return std::chrono::duration<double>(value).count();
}

double as_double(std::uint64_t value) { return static_cast<double>(value); }
double as_double(std::int64_t value) { return static_cast<double>(value); }

std::size_t status_index(CallStatus status) {
  switch (status) {
    case CallStatus::ok:
      return 0;
    case CallStatus::backend_error:
      return 1;
  }
  return 1;
}

std::size_t rejection_index(CallRejection why) {
  switch (why) {
    case CallRejection::unknown_service:
      return 0;
    case CallRejection::unknown_method:
      return 1;
    case CallRejection::busy:
      return 2;
    case CallRejection::invalid:
      return 3;
  }
  return 3;
}

}  // namespace

std::string to_string(CallRejection why) {
  switch (why) {
    case CallRejection::unknown_service:
      return "unknown_service";
    case CallRejection::unknown_method:
      return "unknown_method";
    case CallRejection::busy:
      return "busy";
    case CallRejection::invalid:
      return "invalid";
  }
  return "invalid";
}

struct EdgeMetrics::MethodSlot {
  std::string name;
  std::array<std::atomic<std::uint64_t>, kStatuses.size()> calls{};
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets{};  // non-cumulative
  std::atomic<std::uint64_t> latency_ns{0};
};

struct EdgeMetrics::ServiceSlot {
  std::string name;
  std::vector<std::unique_ptr<MethodSlot>> methods;
  std::atomic<std::uint64_t> announcements{0};
};

EdgeMetrics::EdgeMetrics(const std::vector<ServiceConfig>& services) {
  for (const auto& service : services) {
    auto slot = std::make_unique<ServiceSlot>();
    slot->name = service.name;
    for (const auto& method : service.methods) {
      slot->methods.push_back(std::make_unique<MethodSlot>());
      slot->methods.back()->name = method;
    }
    services_.push_back(std::move(slot));
  }
}

EdgeMetrics::~EdgeMetrics() = default;

void EdgeMetrics::link_connected(SteadyClock::time_point at) {
  last_connect_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count(),
                         kRelaxed);
}

void EdgeMetrics::forwarded() { forwarded_.fetch_add(1, kRelaxed); }

void EdgeMetrics::replayed() { replayed_.fetch_add(1, kRelaxed); }

void EdgeMetrics::announcement_sent(std::size_t service) {
  if (service < services_.size()) services_[service]->announcements.fetch_add(1, kRelaxed);
}

void EdgeMetrics::call_finished(std::size_t service, std::string_view method, CallStatus status,
                                SteadyClock::duration latency) {
  if (service >= services_.size()) return;
  // At most 64 methods per service (the config's bound): a scan is cheaper than a map here.
  for (const auto& slot : services_[service]->methods) {
    if (slot->name != method) continue;
    slot->calls[status_index(status)].fetch_add(1, kRelaxed);
    const double s = seconds(latency);
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), s) - kLatencyBounds.begin());
    slot->buckets[bucket].fetch_add(1, kRelaxed);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count();
    slot->latency_ns.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0)), kRelaxed);
    return;
  }
}

void EdgeMetrics::call_rejected(CallRejection why) { rejected_[rejection_index(why)].fetch_add(1, kRelaxed); }

std::string EdgeMetrics::render(const ScrapeState& state, SteadyClock::time_point now) const {
  const StatusSnapshot& s = state.status;
  http::PrometheusText out;
  out.family("arkmq_edge_info", "gauge", "Always 1; the node's name as a label.");
  out.sample("arkmq_edge_info", {{"node", s.node}}, 1);

  out.family("arkmq_edge_cloud_link_up", "gauge", "1 while the link to the cloud broker is connected.");
  out.sample("arkmq_edge_cloud_link_up", {}, s.link == LinkState::up ? 1 : 0);
  out.family("arkmq_edge_cloud_link_reconnects_total", "counter",
             "Successful cloud connections after the first one.");
  out.sample("arkmq_edge_cloud_link_reconnects_total", {}, as_double(s.reconnects));
  const std::int64_t last = last_connect_ns_.load(kRelaxed);
  if (last >= 0) {
    out.family("arkmq_edge_cloud_link_last_connect_age_seconds", "gauge",
               "Seconds since the cloud link last came up (absent before the first connect).");
    const auto age = now.time_since_epoch() - std::chrono::nanoseconds(last);
    out.sample("arkmq_edge_cloud_link_last_connect_age_seconds", {},
               std::max(0.0, seconds(std::chrono::duration_cast<std::chrono::nanoseconds>(age))));
  }
  out.family("arkmq_edge_local_link_up", "gauge", "1 while subscribed at the site broker.");
  out.sample("arkmq_edge_local_link_up", {}, s.local_up ? 1 : 0);

  out.family("arkmq_edge_outbox_messages", "gauge", "Messages in the outbox (not yet acknowledged by the cloud).");
  out.sample("arkmq_edge_outbox_messages", {}, as_double(s.outbox.depth));
  out.family("arkmq_edge_outbox_bytes", "gauge", "Bytes in the outbox (topic + payload + properties).");
  out.sample("arkmq_edge_outbox_bytes", {}, as_double(s.outbox.bytes));
  out.family("arkmq_edge_outbox_oldest_age_seconds", "gauge", "Age of the oldest outbox message; 0 when empty.");
  const auto oldest = state.outbox_oldest_age.value_or(std::chrono::system_clock::duration::zero());
  out.sample("arkmq_edge_outbox_oldest_age_seconds", {},
             std::max(0.0, seconds(std::chrono::duration_cast<std::chrono::nanoseconds>(oldest))));
  out.family("arkmq_edge_outbox_in_flight_messages", "gauge", "Outbox messages sent and not yet acknowledged.");
  out.sample("arkmq_edge_outbox_in_flight_messages", {}, as_double(s.outbox_in_flight));
  out.family("arkmq_edge_outbox_dropped_oldest_total", "counter",
             "Oldest outbox messages deleted to keep the outbox within its bounds.");
  out.sample("arkmq_edge_outbox_dropped_oldest_total", {}, as_double(s.outbox.dropped_oldest));
  out.family("arkmq_edge_outbox_refused_total", "counter",
             "Messages dropped for good: too_large for the outbox, or refused by the cloud's PUBACK.");
  out.sample("arkmq_edge_outbox_refused_total", {{"reason", "too_large"}}, as_double(s.outbox.refused));
  out.sample("arkmq_edge_outbox_refused_total", {{"reason", "cloud"}}, as_double(state.outbox_refused_by_cloud));

  out.family("arkmq_edge_messages_forwarded_total", "counter",
             "Messages handed to the cloud link for the first time (outbox and QoS 0).");
  out.sample("arkmq_edge_messages_forwarded_total", {}, as_double(forwarded_.load(kRelaxed)));
  out.family("arkmq_edge_messages_replayed_total", "counter",
             "Outbox messages sent again after a reconnect or restart (arkmq-replay: 1).");
  out.sample("arkmq_edge_messages_replayed_total", {}, as_double(replayed_.load(kRelaxed)));
  out.family("arkmq_edge_bridge_messages_total", "counter", "Messages that matched a bridge rule.");
  out.sample("arkmq_edge_bridge_messages_total", {{"direction", "out"}}, as_double(s.bridged_out));
  out.sample("arkmq_edge_bridge_messages_total", {{"direction", "in"}}, as_double(s.bridged_in));
  out.family("arkmq_edge_bridge_qos0_dropped_total", "counter", "QoS 0 messages dropped while the cloud link was down.");
  out.sample("arkmq_edge_bridge_qos0_dropped_total", {}, as_double(s.dropped_qos0));

  out.family("arkmq_edge_backend_up", "gauge", "1 when the service's last backend health check passed.");
  for (const auto& service : s.services) {
    out.sample("arkmq_edge_backend_up", {{"service", service.name}, {"backend", service.backend_kind}},
               service.available ? 1 : 0);
  }
  out.family("arkmq_edge_backend_checks_failed_total", "counter", "Failed backend health checks.");
  for (std::size_t i = 0; i < services_.size(); ++i) {
    const std::int64_t failed = i < state.checks_failed.size() ? state.checks_failed[i] : 0;
    out.sample("arkmq_edge_backend_checks_failed_total", {{"service", services_[i]->name}}, as_double(failed));
  }
  out.family("arkmq_edge_announcements_sent_total", "counter", "Service announcements published to the cloud.");
  for (const auto& service : services_) {
    out.sample("arkmq_edge_announcements_sent_total", {{"service", service->name}},
               as_double(service->announcements.load(kRelaxed)));
  }

  out.family("arkmq_edge_calls_total", "counter", "Service calls that reached a backend, by reply status.");
  for (const auto& service : services_) {
    for (const auto& method : service->methods) {
      for (std::size_t k = 0; k < kStatuses.size(); ++k) {
        out.sample("arkmq_edge_calls_total",
                   {{"service", service->name}, {"method", method->name}, {"status", to_string(kStatuses[k])}},
                   as_double(method->calls[k].load(kRelaxed)));
      }
    }
  }
  out.family("arkmq_edge_call_duration_seconds", "histogram", "Backend exchange time of service calls.");
  for (const auto& service : services_) {
    for (const auto& method : service->methods) {
      std::array<std::uint64_t, kBuckets> counts{};
      std::uint64_t count = 0;
      for (std::size_t b = 0; b < kBuckets; ++b) {
        counts[b] = method->buckets[b].load(kRelaxed);
        count += counts[b];
      }
      const double sum = static_cast<double>(method->latency_ns.load(kRelaxed)) / 1e9;
      out.histogram("arkmq_edge_call_duration_seconds", {{"service", service->name}, {"method", method->name}},
                    kLatencyBounds, std::span<const std::uint64_t>(counts.data(), kLatencyBounds.size()),
                    sum, count);
    }
  }
  out.family("arkmq_edge_calls_rejected_total", "counter",
             "Service calls answered without a backend exchange (or dropped: invalid).");
  for (const auto why : kRejections) {
    out.sample("arkmq_edge_calls_rejected_total", {{"reason", to_string(why)}},
               as_double(rejected_[rejection_index(why)].load(kRelaxed)));
  }
  return out.text();
}

tl::expected<std::unique_ptr<http::Endpoint>, std::string> start_metrics_endpoint(
    const MetricsConfig& config, std::function<std::string()> render) {
  auto endpoint = http::Endpoint::create({config.listen, config.allow_non_loopback, nullptr});
  if (!endpoint) return tl::make_unexpected(endpoint.error());
  (*endpoint)->add_route("/metrics", [render = std::move(render)](const http::Query&) {
    http::Response response;
    response.content_type = http::PrometheusText::kContentType;
    response.body = render();
    return response;
  });
  if (auto started = (*endpoint)->start(); !started) return tl::make_unexpected(started.error());
  return std::move(*endpoint);
}

}  // namespace arkmq::edge
