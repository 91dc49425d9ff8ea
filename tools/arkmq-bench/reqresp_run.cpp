// reqresp: one node serving `bench.echo`, N callers keeping calls outstanding; calls/s, round
// trips, error statuses and timeouts. Services mode goes through the broker's $svc/ layer
// (grants checked on every call); plain mode is MQTT 5 request/response on ordinary topics.
#include <algorithm>
#include <memory>

#include "tools/arkmq-bench/interrupts.hpp"
#include "tools/arkmq-bench/io_pool.hpp"
#include "tools/arkmq-bench/scenarios.hpp"
#include "tools/arkmq-bench/service_caller.hpp"
#include "tools/arkmq-bench/service_node.hpp"

namespace arkmq::bench {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr std::uint16_t heartbeat_s = 10;

struct Roles {
  LinkSettings caller_settings;  // the run's settings, asking for Response Information
  std::unique_ptr<ServiceNode> node;
  std::vector<std::unique_ptr<ServiceCaller>> callers;
};

void build(const BenchEnv& env, IoPool& pool, RunState& run, Roles& roles) {
  const BenchOptions& o = env.options();
  const std::string id_base = "bench-" + env.tag() + "-";
  const std::string base = o.topic_prefix + "/" + env.tag() + "/reqresp";
  roles.caller_settings = env.settings();
  roles.caller_settings.request_response_information = !o.plain_reqresp;
  NodePlan node;
  if (o.plain_reqresp) {
    node.call_filter = base + "/call/#";
  } else {
    const std::string& n = o.node_name;
    node.call_filter = "$svc/node/" + n + "/call/" + reqresp_service + "/#";
    node.announce_topic = "$svc/announce/" + n + "/" + reqresp_service;
    node.announce_body = bench_announcement(heartbeat_s);
    node.heartbeat_s = heartbeat_s;
  }
  roles.node = std::make_unique<ServiceNode>(pool.at(0), env.node_settings(), run, id_base + "node",
                                             node);
  for (unsigned i = 0; i < o.clients; ++i) {
    const std::string client_id = id_base + "c" + std::to_string(i);
    CallPlan plan;
    plan.call_topic = o.plain_reqresp
                          ? base + "/call/" + reqresp_method
                          : std::string("$svc/call/") + reqresp_service + "/" + reqresp_method;
    if (o.plain_reqresp) plan.plain_inbox = base + "/reply/" + client_id + "/";
    plan.size = o.size;
    plan.rate = o.rate;
    plan.inflight = o.inflight;
    plan.timeout_ms = static_cast<std::uint64_t>(o.call_timeout_s * 1000);
    roles.callers.push_back(std::make_unique<ServiceCaller>(pool.at(i + 1), roles.caller_settings,
                                                            run, client_id, plan));
  }
}

template <class Value>
std::uint64_t sum(const Roles& roles, Value value) {
  std::uint64_t total = 0;
  for (const auto& c : roles.callers) total += value(*c);
  return total;
}

}  // namespace

BenchResult run_reqresp(const BenchEnv& env) {
  const BenchOptions& o = env.options();
  RunState run;
  BenchResult result = result_for(o, env.threads());
  IoPool pool(env.threads());
  Interrupts interrupts(pool.at(0));
  Roles roles;
  build(env, pool, run, roles);
  const unsigned links = o.clients + 1;

  // The node first: a call before its announcement would get no_such_service.
  roles.node->post_start();
  const auto setup_timeout = seconds(30) + milliseconds(10 * links);
  bool ready = wait_until([&] { return run.ready.load() >= 1 || run.failed.load() > 0; }, setup_timeout);
  if (ready && run.failed.load() == 0) {
    for (auto& c : roles.callers) c->post_start();
    ready = wait_until([&] { return run.ready.load() >= links || run.failed.load() > 0; }, setup_timeout);
  }
  if (!ready && run.failed.load() == 0) run.report_error("connections not ready within the setup timeout");

  double measured_s = 0;
  if (run.failed.load() == 0 && ready) {
    const std::uint64_t t0 = now_ns();
    const auto warmup_ns = static_cast<std::uint64_t>(o.warmup_s * 1e9);
    const std::uint64_t window_start = t0 + warmup_ns;
    const std::uint64_t end = window_start + static_cast<std::uint64_t>(o.duration_s * 1e9);
    for (auto& c : roles.callers) c->post_calls(window_start, end);

    std::uint64_t last = 0;
    std::uint64_t stopped_at = end;
    for (int second = 1;; ++second) {
      const std::uint64_t tick = t0 + static_cast<std::uint64_t>(second) * 1'000'000'000ULL;
      wait_until([&] { return now_ns() >= std::min(tick, end) || interrupts.count() > 0; }, seconds(2));
      const std::uint64_t now = std::min(now_ns(), end);
      const std::uint64_t replies = sum(roles, [](const ServiceCaller& c) { return c.replies(); });
      env.progress(static_cast<double>(now - t0) / 1e9,
                   "calls=" + std::to_string(sum(roles, [](const ServiceCaller& c) { return c.calls(); })) +
                       " replies=" + std::to_string(replies) + " calls/s=" +
                       std::to_string(replies - last) + " errors=" + std::to_string(run.errors()) +
                       " timeouts=" +
                       std::to_string(sum(roles, [](const ServiceCaller& c) { return c.timeouts(); })) +
                       (now <= window_start && warmup_ns > 0 ? " (warm-up)" : ""));
      last = replies;
      if (interrupts.count() > 0) {
        stopped_at = now;
        for (auto& c : roles.callers) {
          c->post_stop();
          c->post_window_end(stopped_at);
        }
        break;
      }
      if (tick >= end) break;
    }
    measured_s = stopped_at > window_start ? static_cast<double>(stopped_at - window_start) / 1e9 : 0;

    // Drain: outstanding calls get their reply or their deadline (the callers' timer counts them);
    // a second interrupt cuts it short and what is left counts as timeouts.
    const auto drain_deadline = steady_clock::now() + milliseconds(static_cast<long>(o.call_timeout_s * 1000)) +
                                seconds(2);
    while (steady_clock::now() < drain_deadline && interrupts.count() < 2 && run.failed.load() == 0) {
      if (std::all_of(roles.callers.begin(), roles.callers.end(), [](const auto& c) { return c->done(); })) {
        break;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    env.end_progress();
  }

  for (auto& c : roles.callers) c->post_close();
  roles.node->post_close();
  wait_until([&] { return run.closed.load() >= links; }, seconds(5));
  pool.stop();

  result.latency_ns = std::make_unique<LatencyHistogram>();
  std::uint64_t in_window = 0;
  for (const auto& c : roles.callers) {
    result.sent += c->calls();
    result.delivered += c->replies();
    result.timeouts += c->timeouts() + c->outstanding();  // still outstanding: no reply in time
    in_window += c->in_window();
    result.latency_ns->merge(c->histogram());
    for (const auto& [status, count] : c->statuses()) result.statuses[status] += count;
  }
  result.expected = result.sent;
  result.node_requests = roles.node->requests();
  result.duration_s = measured_s;
  result.delivered_per_s = measured_s > 0 ? static_cast<double>(in_window) / measured_s : 0;
  result.errors = run.errors();
  result.error_samples = run.error_samples();
  return result;
}

}  // namespace arkmq::bench
