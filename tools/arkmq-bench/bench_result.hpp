// The outcome of one run, as the summary (text or JSON) reports it, and the exit code it implies.
// Filled by a scenario driver on the main thread after its io threads are joined.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/arkmq-bench/bench_options.hpp"
#include "tools/arkmq-bench/latency_histogram.hpp"

namespace arkmq::bench {

struct BenchResult {
  Scenario scenario = Scenario::pairs;
  unsigned clients = 0;
  int qos = 0;
  std::size_t size = 0;
  double duration_s = 0;     // the measured window
  double warmup_s = 0;
  double rate = 0;           // per publisher; 0: unthrottled
  int protocol = 4;
  bool tls = false;
  unsigned threads = 0;
  std::uint64_t sent = 0;    // every PUBLISH written, warm-up included
  std::uint64_t delivered = 0;  // every PUBLISH received by a subscriber, duplicates included
  std::uint64_t expected = 0;   // deliveries that sent messages owe (sent x subscribers of each)
  double delivered_per_s = 0;   // arrivals inside the measured window / its length
  std::unique_ptr<LatencyHistogram> latency_ns;  // null: the scenario measures none
  std::uint64_t errors = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  bool losses_are_errors = false;  // QoS 1: every acknowledged message must arrive
  std::optional<std::uint64_t> connections;  // connect: CONNACKs received in the window
  std::optional<double> connections_per_s;
  std::optional<std::uint64_t> rss_before;   // idle with --broker-pid
  std::optional<std::uint64_t> rss_after;
  std::optional<double> bytes_per_connection;
  unsigned connections_open = 0;             // idle: connections held
  unsigned sources = 0;                      // idle: source addresses used (0: the kernel's one)
  std::optional<std::uint64_t> file_limit;   // idle: the bench's RLIMIT_NOFILE
  // reqresp: sent = calls made, delivered = replies, delivered_per_s = completed calls/s,
  // latency = the round trip. errors include replies whose svc-status is not ok.
  bool plain_reqresp = false;
  unsigned inflight = 0;
  std::uint64_t timeouts = 0;        // no reply by --call-timeout, or svc-status "timeout"
  std::uint64_t node_requests = 0;   // requests the node received
  std::map<std::string, std::uint64_t> statuses;  // replies per svc-status other than ok
  std::vector<std::string> error_samples;
};

// A result with the run's parameters filled in (what the summary repeats).
BenchResult result_for(const BenchOptions& options, unsigned threads);

// 0: the run completed cleanly; 1: errors, or losses where there should be none.
int exit_code(const BenchResult& result);

std::string format_text(const BenchResult& result);
std::string format_json(const BenchResult& result);

}  // namespace arkmq::bench
