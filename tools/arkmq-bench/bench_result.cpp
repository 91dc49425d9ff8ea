// BenchResult: the human summary and the JSON object.
#include "tools/arkmq-bench/bench_result.hpp"

#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

namespace arkmq::bench {

namespace {

double to_us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

}  // namespace

BenchResult result_for(const BenchOptions& o, unsigned threads) {
  BenchResult result;
  result.scenario = o.scenario;
  result.clients = o.clients;
  result.qos = o.qos;
  result.size = o.size;
  result.duration_s = o.duration_s;
  result.warmup_s = o.warmup_s;
  result.rate = o.rate;
  result.protocol = o.protocol;
  result.tls = o.broker.tls;
  result.threads = threads;
  result.losses_are_errors = o.qos == 1;
  if (o.scenario == Scenario::reqresp) {
    result.qos = 1;  // calls and replies are QoS 1
    result.plain_reqresp = o.plain_reqresp;
    result.inflight = o.inflight;
  }
  return result;
}

int exit_code(const BenchResult& result) {
  if (result.errors > 0 || result.timeouts > 0) return 1;
  if (result.losses_are_errors && result.lost > 0) return 1;
  return 0;
}

std::string format_text(const BenchResult& r) {
  std::ostringstream out;
  out << "scenario " << to_string(r.scenario) << ", " << r.clients << " clients, QoS " << r.qos
      << ", " << r.size << " bytes, MQTT " << (r.protocol == 5 ? "5.0" : "3.1.1")
      << (r.tls ? " over TLS" : "") << ", " << fixed(r.duration_s, 1) << " s measured\n";
  switch (r.scenario) {
    case Scenario::connect:
      out << "  connections  " << r.connections.value_or(0) << " ("
          << fixed(r.connections_per_s.value_or(0), 1) << "/s"
          << (r.tls ? ", each with a TLS handshake" : "") << ")\n";
      break;
    case Scenario::idle:
      out << "  held         " << r.connections_open << " idle connections";
      if (r.sources > 0) out << " from " << r.sources << " source addresses";
      out << "\n";
      if (r.bytes_per_connection) {
        out << "  broker RSS   " << r.rss_before.value_or(0) << " -> " << r.rss_after.value_or(0)
            << " bytes, " << fixed(*r.bytes_per_connection, 0) << " bytes/connection\n";
      } else {
        out << "  broker RSS   not measured (give --broker-pid)\n";
      }
      break;
    case Scenario::reqresp:
      out << "  mode         " << (r.plain_reqresp ? "plain MQTT 5 request/response" : "$svc/ service calls")
          << ", " << r.inflight << " in flight per caller\n"
          << "  calls        " << r.sent << "\n"
          << "  replies      " << r.delivered << " (" << fixed(r.delivered_per_s, 0) << " calls/s)\n";
      if (r.latency_ns && r.latency_ns->count() > 0) {
        const auto& h = *r.latency_ns;
        out << "  round trip us p50 " << fixed(to_us(h.percentile(50)), 1) << "  p99 "
            << fixed(to_us(h.percentile(99)), 1) << "  p99.9 " << fixed(to_us(h.percentile(99.9)), 1)
            << "  max " << fixed(to_us(h.max()), 1) << "\n";
      }
      out << "  timeouts     " << r.timeouts << "\n";
      for (const auto& [status, count] : r.statuses) {
        out << "  svc-status   " << status << ": " << count << "\n";
      }
      break;
    case Scenario::pairs:
    case Scenario::fanin:
    case Scenario::fanout:
    case Scenario::latency:
      out << "  sent         " << r.sent << "\n"
          << "  delivered    " << r.delivered << " (" << fixed(r.delivered_per_s, 0) << " msgs/s)\n";
      if (r.latency_ns && r.latency_ns->count() > 0) {
        const auto& h = *r.latency_ns;
        out << "  latency us   p50 " << fixed(to_us(h.percentile(50)), 1) << "  p99 "
            << fixed(to_us(h.percentile(99)), 1) << "  p99.9 " << fixed(to_us(h.percentile(99.9)), 1)
            << "  max " << fixed(to_us(h.max()), 1) << "\n";
      }
      out << "  lost         " << r.lost << (r.losses_are_errors ? "" : " (QoS 0: allowed)") << "\n"
          << "  duplicates   " << r.duplicates << "\n"
          << "  reordered    " << r.reordered << "\n";
      break;
  }
  out << "  errors       " << r.errors << "\n";
  for (const auto& sample : r.error_samples) out << "    " << sample << "\n";
  return out.str();
}

std::string format_json(const BenchResult& r) {
  nlohmann::json j;
  j["scenario"] = to_string(r.scenario);
  j["clients"] = r.clients;
  j["qos"] = r.qos;
  j["size"] = r.size;
  j["duration_s"] = r.duration_s;
  j["warmup_s"] = r.warmup_s;
  j["rate"] = r.rate;
  j["protocol"] = r.protocol;
  j["tls"] = r.tls;
  j["threads"] = r.threads;
  j["sent"] = r.sent;
  j["delivered"] = r.delivered;
  j["expected"] = r.expected;
  j["delivered_per_s"] = r.delivered_per_s;
  if (r.latency_ns && r.latency_ns->count() > 0) {
    const auto& h = *r.latency_ns;
    j["latency_us"] = {{"p50", to_us(h.percentile(50))},   {"p99", to_us(h.percentile(99))},
                       {"p999", to_us(h.percentile(99.9))}, {"max", to_us(h.max())},
                       {"mean", h.mean() / 1000.0},         {"count", h.count()}};
  } else {
    j["latency_us"] = nullptr;
  }
  j["errors"] = r.errors;
  j["lost"] = r.lost;
  j["duplicates"] = r.duplicates;
  j["reordered"] = r.reordered;
  if (r.scenario == Scenario::connect) {
    j["connections"] = r.connections.value_or(0);
    j["connections_per_s"] = r.connections_per_s.value_or(0);
  }
  if (r.scenario == Scenario::idle) {
    j["connections_open"] = r.connections_open;
    j["bytes_per_connection"] = r.bytes_per_connection ? nlohmann::json(*r.bytes_per_connection)
                                                       : nlohmann::json(nullptr);
    if (r.rss_before) j["broker_rss_before"] = *r.rss_before;
    if (r.rss_after) j["broker_rss_after"] = *r.rss_after;
    j["sources"] = r.sources;
    j["file_limit"] = r.file_limit ? nlohmann::json(*r.file_limit) : nlohmann::json(nullptr);
  }
  if (r.scenario == Scenario::reqresp) {
    j["mode"] = r.plain_reqresp ? "plain" : "services";
    j["inflight"] = r.inflight;
    j["calls"] = r.sent;
    j["replies"] = r.delivered;
    j["calls_per_s"] = r.delivered_per_s;
    j["timeouts"] = r.timeouts;
    j["node_requests"] = r.node_requests;
    j["statuses"] = r.statuses;
  }
  j["error_samples"] = r.error_samples;
  return j.dump();
}

}  // namespace arkmq::bench
