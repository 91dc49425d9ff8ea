// render_metrics: one family per metric, HELP text matching docs/metrics.md.
#include "broker/app/metrics_render.hpp"

#include <charconv>
#include <chrono>
#include <string_view>

#include "broker/core/broker_state.hpp"
#include "broker/core/memory_counters.hpp"
#include "broker/core/quota_state.hpp"
#include "broker/http/prometheus_text.hpp"

namespace arkmq::app {
namespace {

using http::Labels;
using http::PrometheusText;

double as_double(std::uint64_t value) { return static_cast<double>(value); }

void single(PrometheusText& out, std::string_view name, std::string_view type,
            std::string_view help, double value) {
  out.family(name, type, help);
  out.sample(name, {}, value);
}

void write_broker_stats(PrometheusText& out, const core::Broker& broker) {
  const core::BrokerStats stats = broker.stats();
  out.family("arkmq_build_info", "gauge", "The broker's version, as a label; always 1.");
  out.sample("arkmq_build_info", {{"version", broker.config().version}}, 1);
  single(out, "arkmq_clients_connected", "gauge", "Clients connected now (all listeners).",
         as_double(stats.clients_connected));
  single(out, "arkmq_sessions", "gauge", "Sessions: connected plus offline persistent ones.",
         as_double(stats.sessions));
  single(out, "arkmq_subscriptions", "gauge", "Subscriptions of all sessions.",
         as_double(stats.subscriptions));
  single(out, "arkmq_retained_messages", "gauge", "Retained messages stored.",
         as_double(stats.retained_messages));
  single(out, "arkmq_messages_received_total", "counter", "PUBLISH packets received from clients.",
         as_double(stats.messages_received));
  single(out, "arkmq_messages_sent_total", "counter", "PUBLISH packets sent to clients.",
         as_double(stats.messages_sent));
  single(out, "arkmq_messages_dropped_total", "counter",
         "Deliveries dropped: full queues, slow consumers, too large for the receiver, the "
         "memory budget.",
         as_double(stats.messages_dropped));
  single(out, "arkmq_received_bytes_total", "counter",
         "Bytes of MQTT packets received from clients (all listeners).",
         as_double(stats.bytes_received));
  single(out, "arkmq_sent_bytes_total", "counter",
         "Bytes of MQTT packets sent to clients (all listeners).", as_double(stats.bytes_sent));
}

void write_listeners(PrometheusText& out, const Metrics& metrics) {
  const auto listeners = metrics.listeners();
  const auto each = [&](std::string_view name, std::string_view type, std::string_view help,
                        auto value_of) {
    out.family(name, type, help);
    for (const auto& listener : listeners) {
      out.sample(name, {{"listener", listener.listener}}, value_of(listener));
    }
  };
  each("arkmq_listener_connections_accepted_total", "counter",
       "Transport connections accepted (after the TLS handshake), per listener.",
       [](const auto& l) { return as_double(l.accepted); });
  each("arkmq_listener_clients_connected", "gauge", "Clients logged in and connected, per listener.",
       [](const auto& l) { return static_cast<double>(l.connected); });
  each("arkmq_listener_messages_received_total", "counter",
       "PUBLISH packets accepted and routed, per listener.",
       [](const auto& l) { return as_double(l.messages_in); });
  each("arkmq_listener_payload_received_bytes_total", "counter",
       "Payload bytes of the PUBLISH packets accepted and routed, per listener.",
       [](const auto& l) { return as_double(l.payload_bytes_in); });
  each("arkmq_listener_received_bytes_total", "counter",
       "Bytes of MQTT packets read from clients (after TLS), per listener.",
       [](const auto& l) { return as_double(l.bytes_in); });
  each("arkmq_listener_sent_bytes_total", "counter",
       "Bytes of MQTT packets queued for writing to clients (before TLS), per listener.",
       [](const auto& l) { return as_double(l.bytes_out); });
}

void write_events(PrometheusText& out, const Metrics& metrics) {
  out.family("arkmq_logins_total", "counter", "CONNECTs answered, by CONNACK result.");
  for (const auto& [code, count] : metrics.logins()) {
    out.sample("arkmq_logins_total", {{"result", label_of(code)}}, as_double(count));
  }
  out.family("arkmq_disconnects_total", "counter",
             "Connections of logged-in clients that ended, by who ended them.");
  for (const auto by : kAllInitiators) {
    out.sample("arkmq_disconnects_total", {{"initiator", std::string(core::to_string(by))}},
               as_double(metrics.disconnects(by)));
  }
  out.family("arkmq_acl_denials_total", "counter", "Authorization denials, by action.");
  for (const auto action : kAllDeniedActions) {
    out.sample("arkmq_acl_denials_total", {{"action", std::string(core::to_string(action))}},
               as_double(metrics.denials(action)));
  }
  out.family("arkmq_quota_hits_total", "counter",
             "Flow-control limits of a principal that were hit, by kind.");
  for (const auto kind : kAllQuotaKinds) {
    out.sample("arkmq_quota_hits_total", {{"kind", std::string(core::to_string(kind))}},
               as_double(metrics.quota_hits(kind)));
  }
}

// The core's own flow-control and memory-budget counters ($SYS/broker/quota/*, memory/*).
void write_core_counters(PrometheusText& out, core::Broker& broker) {
  const core::StatCounters& counters = broker.state().counters();
  out.family("arkmq_flow_control_total", "counter",
             "What flow control did, by event ($SYS/broker/quota/<event>).");
  for (const auto& [name, value] : core::quota_sys_values(counters.quota)) {
    double number = 0;
    std::from_chars(value.data(), value.data() + value.size(), number);
    const std::string_view event = std::string_view(name).substr(name.find('/') + 1);
    out.sample("arkmq_flow_control_total", {{"event", std::string(event)}}, number);
  }
  const auto load = [](const std::atomic<std::uint64_t>& counter) {
    return as_double(counter.load(std::memory_order_relaxed));
  };
  single(out, "arkmq_memory_budget_bytes", "gauge", "The configured memory budget; 0: off.",
         as_double(broker.config().memory_budget_bytes));
  single(out, "arkmq_memory_held_bytes", "gauge",
         "Estimated bytes held in queues and buffers (0 while the budget is off).",
         load(counters.memory.held_bytes));
  single(out, "arkmq_memory_shed_clients_total", "counter",
         "Clients disconnected to get under the memory budget.", load(counters.memory.shed_clients));
  single(out, "arkmq_memory_shed_messages_total", "counter",
         "Queued messages dropped to get under the memory budget.",
         load(counters.memory.shed_messages));
}

void write_audit(PrometheusText& out, const storage::AuditJournal& journal) {
  const storage::AuditJournalStats stats = journal.stats();
  single(out, "arkmq_audit_queue_depth", "gauge", "Audit events waiting to be written.",
         as_double(stats.queued));
  single(out, "arkmq_audit_written_total", "counter", "Audit events committed to the journal.",
         as_double(stats.written));
  single(out, "arkmq_audit_dropped_total", "counter", "Audit events refused by a full queue.",
         as_double(stats.dropped));
  single(out, "arkmq_audit_lost_total", "counter",
         "Audit events accepted, then lost with a failed transaction.", as_double(stats.lost));
}

void write_connection_rate(PrometheusText& out, const net::ConnectionRateLimiter& limiter) {
  single(out, "arkmq_banned_addresses", "gauge", "Source addresses banned now for connecting too often.",
         as_double(limiter.banned_addresses(net::ConnectionRateLimiter::Clock::now())));
  single(out, "arkmq_connection_bans_total", "counter", "Connection-rate bans started.",
         as_double(limiter.bans_total()));
  single(out, "arkmq_ban_refused_connections_total", "counter",
         "Connections closed at accept because their address is banned.",
         as_double(limiter.refused_total()));
}

void write_services(PrometheusText& out, const Metrics& metrics, const core::Broker& broker) {
  const core::BrokerSnapshot snapshot = broker.snapshot(0);
  single(out, "arkmq_edge_nodes_online", "gauge",
         "Distinct service nodes with at least one available service.",
         as_double(snapshot.edge_nodes_online));
  out.family("arkmq_service_nodes_available", "gauge", "Nodes offering the service now.");
  for (const auto& service : snapshot.services) {
    std::size_t available = 0;
    for (const auto& node : service.nodes) available += node.available ? 1 : 0;
    out.sample("arkmq_service_nodes_available", {{"service", service.service}},
               static_cast<double>(available));
  }
  const auto calls = metrics.service_calls().values();
  out.family("arkmq_service_calls_total", "counter", "Finished service calls, by service and status.");
  for (const auto& service : calls) {
    for (const auto& [status, count] : service.by_status) {
      out.sample("arkmq_service_calls_total", {{"service", service.service}, {"status", status}},
                 as_double(count));
    }
  }
  out.family("arkmq_service_call_duration_seconds", "histogram",
             "Latency of service calls that reached a node, from the call to its reply, error or "
             "timeout.");
  for (const auto& service : calls) {
    out.histogram("arkmq_service_call_duration_seconds", {{"service", service.service}},
                  ServiceCallStats::kBounds, service.buckets, service.latency_sum_seconds,
                  service.latency_count);
  }
  out.family("arkmq_service_dropped_total", "counter",
             "$svc/ messages dropped without a call to report, by reason.");
  for (const auto drop : kAllServiceDropClasses) {
    out.sample("arkmq_service_dropped_total", {{"reason", std::string(to_string(drop))}},
               as_double(metrics.service_drops(drop)));
  }
}

void write_loop_lag(PrometheusText& out, const Metrics& metrics) {
  out.family("arkmq_worker_loop_lag_seconds", "gauge",
             "How late each worker's event loop runs a 100 ms timer: the worst of the last second, "
             "or the current delay of a stalled loop.");
  const auto lags = metrics.loop_lags();
  for (std::size_t i = 0; i < lags.size(); ++i) {
    out.sample("arkmq_worker_loop_lag_seconds", {{"worker", std::to_string(i)}},
               std::chrono::duration<double>(lags[i]).count());
  }
}

}  // namespace

std::string render_metrics(const MetricsSources& sources) {
  PrometheusText out;
  write_broker_stats(out, *sources.broker);
  write_listeners(out, *sources.metrics);
  write_events(out, *sources.metrics);
  write_core_counters(out, *sources.broker);
  if (sources.journal != nullptr) write_audit(out, *sources.journal);
  if (sources.connection_rate != nullptr) write_connection_rate(out, *sources.connection_rate);
  write_services(out, *sources.metrics, *sources.broker);
  write_loop_lag(out, *sources.metrics);
  return out.text();
}

}  // namespace arkmq::app
