// connect and idle: connection rate, and broker memory per held connection.
#include <cstdio>
#include <memory>
#include <thread>

#include "tools/arkmq-bench/connect_worker.hpp"
#include "tools/arkmq-bench/interrupts.hpp"
#include "tools/arkmq-bench/io_pool.hpp"
#include "tools/arkmq-bench/scenarios.hpp"
#include "tools/arkmq-bench/socket_budget.hpp"

namespace arkmq::bench {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// An idle connection: CONNECT, then only keep-alive pings.
class IdleLink final : public MqttLink {
 public:
  IdleLink(asio::io_context& io, const LinkSettings& settings, RunState& run, std::string id)
      : MqttLink(io, settings, run, std::move(id), 256) {}

 private:
  void on_connected(const protocol::Connack&) override {
    run().ready.fetch_add(1, std::memory_order_relaxed);
  }
  void on_frame(std::span<const std::uint8_t>, std::size_t) override {}
};

// Connection setups in flight at once while idle connections open. All at once overflows the
// broker's listen backlog (Mosquitto listens with a backlog of 100): the kernel drops the
// handshakes' last ACKs and the broker later resets connections the client thought were open.
constexpr unsigned idle_open_window = 64;

// Starts every link, at most idle_open_window still connecting at a time; true when all are
// settled (open or failed) before the timeout.
bool open_gradually(std::vector<std::unique_ptr<IdleLink>>& links, RunState& run,
                    const Interrupts& interrupts, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto settled = [&] { return run.ready.load() + run.failed.load(); };
  std::size_t started = 0;
  while (settled() < links.size()) {
    while (started < links.size() && started < settled() + idle_open_window) {
      links[started++]->post_start();
    }
    if (std::chrono::steady_clock::now() >= deadline || interrupts.count() > 0) return false;
    std::this_thread::sleep_for(milliseconds(1));  // the io threads own the counters
  }
  return true;
}

}  // namespace

BenchResult run_connect(const BenchEnv& env) {
  const BenchOptions& o = env.options();
  BenchResult result = result_for(o, env.threads());
  RunState run;
  IoPool pool(env.threads());
  Interrupts interrupts(pool.at(0));
  std::vector<std::unique_ptr<ConnectWorker>> workers;
  for (unsigned i = 0; i < o.clients; ++i) {
    workers.push_back(std::make_unique<ConnectWorker>(
        pool.at(i), env.settings(), run, "bench-" + env.tag() + "-c" + std::to_string(i)));
  }
  const std::uint64_t t0 = now_ns();
  const std::uint64_t window_start = t0 + static_cast<std::uint64_t>(o.warmup_s * 1e9);
  const std::uint64_t end = window_start + static_cast<std::uint64_t>(o.duration_s * 1e9);
  for (auto& w : workers) w->post_run(window_start, end);
  auto completed = [&] {
    std::uint64_t sum = 0;
    for (const auto& w : workers) sum += w->completed();
    return sum;
  };
  std::uint64_t last = 0;
  std::uint64_t stopped_at = end;
  for (int second = 1;; ++second) {
    const std::uint64_t tick = t0 + static_cast<std::uint64_t>(second) * 1'000'000'000ULL;
    wait_until([&] { return now_ns() >= std::min(tick, end) || interrupts.count() > 0; }, seconds(2));
    const std::uint64_t now = std::min(now_ns(), end);
    const std::uint64_t done = completed();
    env.progress(static_cast<double>(now - t0) / 1e9,
                 "connections=" + std::to_string(done) + " conn/s=" + std::to_string(done - last) +
                     " errors=" + std::to_string(run.errors()));
    last = done;
    if (interrupts.count() > 0) {
      stopped_at = now;
      for (auto& w : workers) w->post_stop();
      break;
    }
    if (tick >= end) break;
  }
  env.end_progress();
  const double measured_s =
      stopped_at > window_start ? static_cast<double>(stopped_at - window_start) / 1e9 : 0;
  // Cycles under way finish (or are cut off); none starts after `end`.
  const bool all_stopped = wait_until(
      [&] {
        for (const auto& w : workers) {
          if (!w->stopped()) return false;
        }
        return true;
      },
      seconds(3));
  if (!all_stopped) {
    for (auto& w : workers) w->post_stop();
    wait_until([&] {
      for (const auto& w : workers) {
        if (!w->stopped()) return false;
      }
      return true;
    }, seconds(2));
  }
  pool.stop();
  std::uint64_t in_window = 0;
  for (const auto& w : workers) in_window += w->in_window();
  result.connections = in_window;
  result.duration_s = measured_s;
  result.connections_per_s = measured_s > 0 ? static_cast<double>(in_window) / measured_s : 0;
  result.errors = run.errors();
  result.error_samples = run.error_samples();
  return result;
}

BenchResult run_idle(const BenchEnv& env) {
  const BenchOptions& o = env.options();
  BenchResult result = result_for(o, env.threads());
  RunState run;
  std::optional<std::uint64_t> before;
  if (o.broker_pid > 0) {
    before = process_rss_bytes(o.broker_pid);
    if (!before) run.report_error("cannot read VmRSS of pid " + std::to_string(o.broker_pid));
  }
  // Descriptors and source ports: say up front what will not fit, spread over loopback sources.
  result.file_limit = file_limit();
  if (result.file_limit) {
    if (const std::string shortfall = file_limit_shortfall(o.clients, *result.file_limit);
        !shortfall.empty()) {
      std::fprintf(stderr, "arkmq-bench: %s\n", shortfall.c_str());
      run.report_error(shortfall);
    }
  }
  const auto sources = source_addresses(o.sources, o.clients, env.settings().endpoint.address());
  result.sources = static_cast<unsigned>(sources.size());
  IoPool pool(env.threads());
  Interrupts interrupts(pool.at(0));
  std::vector<std::unique_ptr<IdleLink>> links;
  for (unsigned i = 0; i < o.clients; ++i) {
    links.push_back(std::make_unique<IdleLink>(pool.at(i), env.settings(), run,
                                               "bench-" + env.tag() + "-i" + std::to_string(i)));
    links.back()->set_source(source_for(sources, i));
  }
  const std::uint64_t t0 = now_ns();
  const bool ready = open_gradually(links, run, interrupts,
                                    seconds(30) + milliseconds(5 * o.clients));
  if (!ready) run.report_error("connections not open within the setup timeout");
  result.connections_open = run.ready.load();
  // Hold them for --duration, a progress line a second.
  const std::uint64_t hold_start = now_ns();
  const std::uint64_t end = hold_start + static_cast<std::uint64_t>((o.warmup_s + o.duration_s) * 1e9);
  for (int second = 1;; ++second) {
    const std::uint64_t tick = hold_start + static_cast<std::uint64_t>(second) * 1'000'000'000ULL;
    wait_until([&] { return now_ns() >= std::min(tick, end) || interrupts.count() > 0; }, seconds(2));
    const unsigned open = run.ready.load() - std::min(run.ready.load(), run.failed.load());
    env.progress(static_cast<double>(std::min(tick, end) - t0) / 1e9,
                 "open=" + std::to_string(open) + " errors=" + std::to_string(run.errors()));
    if (tick >= end || interrupts.count() > 0) break;
  }
  env.end_progress();
  if (before) {
    result.rss_before = before;
    result.rss_after = process_rss_bytes(o.broker_pid);
    if (result.rss_after && result.connections_open > 0) {
      result.bytes_per_connection =
          (static_cast<double>(*result.rss_after) - static_cast<double>(*before)) /
          static_cast<double>(result.connections_open);
    }
  }
  for (auto& link : links) link->post_close();
  wait_until([&] { return run.closed.load() >= o.clients; }, seconds(5));
  pool.stop();
  result.errors = run.errors();
  result.error_samples = run.error_samples();
  return result;
}

}  // namespace arkmq::bench
