// pairs, fanin, fanout and latency: publishers and subscribers, then loss and latency accounting.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "tools/arkmq-bench/interrupts.hpp"
#include "tools/arkmq-bench/io_pool.hpp"
#include "tools/arkmq-bench/publisher.hpp"
#include "tools/arkmq-bench/scenarios.hpp"
#include "tools/arkmq-bench/subscriber.hpp"

namespace arkmq::bench {

namespace {

using std::chrono::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

// Which publishers a subscriber hears, and under which stamp index.
struct Hearing {
  const Publisher* publisher;
  std::uint32_t index;
};

struct Topology {
  std::vector<std::unique_ptr<Publisher>> publishers;
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  std::vector<std::vector<Hearing>> hears;  // per subscriber
};

Topology build(const BenchEnv& env, IoPool& pool, RunState& run) {
  const BenchOptions& o = env.options();
  const auto qos = o.qos == 1 ? protocol::QoS::at_least_once : protocol::QoS::at_most_once;
  const std::string base = o.topic_prefix + "/" + env.tag() + "/" + to_string(o.scenario);
  const std::string id_base = "bench-" + env.tag() + "-";
  std::size_t next_context = 0;
  Topology t;
  auto add_publisher = [&](const std::string& topic, std::uint32_t index, std::size_t n) {
    PublishPlan plan{topic, qos, o.size, o.rate, o.window, index};
    t.publishers.push_back(std::make_unique<Publisher>(pool.at(next_context++), env.settings(), run,
                                                       id_base + "p" + std::to_string(n), plan));
    return t.publishers.back().get();
  };
  auto add_subscriber = [&](const std::string& filter, std::size_t publishers, std::size_t n) {
    SubscribePlan plan{filter, qos, publishers};
    t.subscribers.push_back(std::make_unique<Subscriber>(pool.at(next_context++), env.settings(),
                                                         run, id_base + "s" + std::to_string(n), plan));
    t.hears.emplace_back();
  };
  switch (o.scenario) {
    case Scenario::pairs:
    case Scenario::latency:
      for (unsigned i = 0; i < o.clients; ++i) {
        const std::string topic = base + "/" + std::to_string(i);
        add_subscriber(topic, 1, i);
        t.hears.back().push_back({add_publisher(topic, 0, i), 0});
      }
      break;
    case Scenario::fanin:
      add_subscriber(base + "/+", o.clients, 0);
      for (unsigned i = 0; i < o.clients; ++i) {
        t.hears.back().push_back({add_publisher(base + "/" + std::to_string(i), i, i), i});
      }
      break;
    case Scenario::fanout: {
      const Publisher* publisher = nullptr;
      for (unsigned i = 0; i < o.clients; ++i) add_subscriber(base + "/all", 1, i);
      publisher = add_publisher(base + "/all", 0, 0);
      for (auto& hears : t.hears) hears.push_back({publisher, 0});
      break;
    }
    case Scenario::connect:
    case Scenario::idle:
    case Scenario::reqresp:
      break;
  }
  return t;
}

std::uint64_t total_received(const Topology& t) {
  std::uint64_t sum = 0;
  for (const auto& s : t.subscribers) sum += s->received();
  return sum;
}

std::uint64_t total_sent(const Topology& t) {
  std::uint64_t sum = 0;
  for (const auto& p : t.publishers) sum += p->sent();
  return sum;
}

std::uint64_t total_expected(const Topology& t) {
  std::uint64_t sum = 0;
  for (const auto& hears : t.hears) {
    for (const auto& h : hears) sum += h.publisher->sent();
  }
  return sum;
}

std::uint64_t total_distinct(const Topology& t) {
  std::uint64_t sum = 0;
  for (const auto& s : t.subscribers) sum += s->distinct();
  return sum;
}

bool all_publishers_done(const Topology& t) {
  return std::all_of(t.publishers.begin(), t.publishers.end(),
                     [](const auto& p) { return p->done(); });
}

}  // namespace

BenchResult run_pubsub(const BenchEnv& env) {
  const BenchOptions& o = env.options();
  RunState run;
  BenchResult result = result_for(o, env.threads());

  IoPool pool(env.threads());
  Interrupts interrupts(pool.at(0));
  Topology t = build(env, pool, run);
  const unsigned links = static_cast<unsigned>(t.publishers.size() + t.subscribers.size());

  // Subscribers first, so no message is published before its subscription exists.
  for (auto& s : t.subscribers) s->post_start();
  const auto setup_timeout = seconds(30) + milliseconds(10 * links);
  bool ready = wait_until([&] { return run.ready.load() >= t.subscribers.size() || run.failed.load() > 0; },
                          setup_timeout);
  if (ready && run.failed.load() == 0) {
    for (auto& p : t.publishers) p->post_start();
    ready = wait_until([&] { return run.ready.load() >= links || run.failed.load() > 0; }, setup_timeout);
  }
  if (!ready && run.failed.load() == 0) run.report_error("connections not ready within the setup timeout");

  double measured_s = 0;
  if (run.failed.load() == 0 && ready) {
    const std::uint64_t t0 = now_ns();
    const auto warmup_ns = static_cast<std::uint64_t>(o.warmup_s * 1e9);
    const auto measure_ns = static_cast<std::uint64_t>(o.duration_s * 1e9);
    const std::uint64_t window_start = t0 + warmup_ns;
    const std::uint64_t end = window_start + measure_ns;
    for (auto& s : t.subscribers) s->post_window(window_start, end);
    for (auto& p : t.publishers) p->post_publish(end);

    // Load phase: a progress line every second; an interrupt ends it early.
    std::uint64_t last_delivered = 0;
    std::uint64_t stopped_at = end;
    for (int second = 1;; ++second) {
      const std::uint64_t tick = t0 + static_cast<std::uint64_t>(second) * 1'000'000'000ULL;
      wait_until([&] { return now_ns() >= std::min(tick, end) || interrupts.count() > 0; }, seconds(2));
      const std::uint64_t now = std::min(now_ns(), end);
      const std::uint64_t delivered = total_received(t);
      env.progress(static_cast<double>(now - t0) / 1e9,
                   "sent=" + std::to_string(total_sent(t)) + " delivered=" + std::to_string(delivered) +
                       " msgs/s=" + std::to_string(delivered - last_delivered) +
                       (now <= window_start && warmup_ns > 0 ? " (warm-up)" : ""));
      last_delivered = delivered;
      if (interrupts.count() > 0) {
        stopped_at = now;
        for (auto& p : t.publishers) p->post_stop();
        for (auto& s : t.subscribers) s->post_window(window_start, stopped_at);
        break;
      }
      if (tick >= end) break;
    }
    measured_s = stopped_at > window_start ? static_cast<double>(stopped_at - window_start) / 1e9 : 0;

    // Drain: QoS 1 until every owed delivery arrived or 2 s pass without an arrival (the broker
    // dropped some); QoS 0 until arrivals stop for 0.5 s. A second interrupt skips it.
    std::uint64_t seen = total_received(t);
    auto last_progress = steady_clock::now();
    const auto quiet_limit = o.qos == 1 ? milliseconds(2000) : milliseconds(500);
    const auto drain_deadline = steady_clock::now() + seconds(30);
    while (steady_clock::now() < drain_deadline && interrupts.count() < 2) {
      if (o.qos == 1 && all_publishers_done(t) && total_distinct(t) >= total_expected(t)) break;
      std::this_thread::sleep_for(milliseconds(20));
      const std::uint64_t now_seen = total_received(t);
      if (now_seen != seen) {
        seen = now_seen;
        last_progress = steady_clock::now();
      } else if (steady_clock::now() - last_progress >= quiet_limit) {
        break;
      }
    }
    env.end_progress();
  }

  for (auto& s : t.subscribers) s->post_close();
  for (auto& p : t.publishers) p->post_close();
  wait_until([&] { return run.closed.load() >= links; }, seconds(5));
  pool.stop();

  // Accounting, now that no io thread touches the connections.
  result.latency_ns = std::make_unique<LatencyHistogram>();
  std::uint64_t in_window = 0;
  for (std::size_t i = 0; i < t.subscribers.size(); ++i) {
    const Subscriber& s = *t.subscribers[i];
    const SequenceCounts& c = s.tracker().counts();
    result.delivered += c.received;
    result.duplicates += c.duplicates;
    result.reordered += c.reordered;
    in_window += s.in_window();
    result.latency_ns->merge(s.histogram());
    for (const Hearing& h : t.hears[i]) {
      result.expected += h.publisher->sent();
      result.lost += s.tracker().lost_from(h.index, h.publisher->sent());
    }
  }
  result.sent = total_sent(t);
  result.duration_s = measured_s;
  result.delivered_per_s = measured_s > 0 ? static_cast<double>(in_window) / measured_s : 0;
  result.errors = run.errors();
  result.error_samples = run.error_samples();
  return result;
}

}  // namespace arkmq::bench
