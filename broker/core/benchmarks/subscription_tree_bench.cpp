// Google Benchmark for SubscriptionTree::match and RetainedStore::match at 10k and 100k entries.
// Topology: devices/<site>/<device>/<metric> with a mix of exact, '+' and '#' filters.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/retained_store.hpp"
#include "broker/core/subscription_tree.hpp"

namespace arkmq::core {
namespace {

// Deterministic pseudo-random numbers so every run measures the same tree.
std::uint64_t next_random(std::uint64_t& state) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return state >> 33;
}

constexpr std::uint64_t kSites = 100;
constexpr std::uint64_t kMetrics = 10;

// Appends instead of chaining operator+, which trips GCC 12's -Wrestrict false positive at -O3.
std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const std::string_view part : parts) out.append(part);
  return out;
}

std::string topic_for(std::uint64_t site, std::uint64_t device, std::uint64_t metric) {
  return join({"devices/site", std::to_string(site), "/dev", std::to_string(device), "/m",
               std::to_string(metric)});
}

// Subscription i: 80% exact topics, 15% "devices/siteX/+/mY", 4% "devices/siteX/devZ/#",
// 1% "devices/+/devZ/+"; plus one shared group on "devices/#".
void fill_tree(SubscriptionTree& tree, std::int64_t count) {
  std::uint64_t state = 42;
  const auto devices = static_cast<std::uint64_t>(count) / kSites + 1;
  for (std::int64_t i = 0; i < count; ++i) {
    const auto session = static_cast<SessionKey>(i);
    const std::uint64_t site = next_random(state) % kSites;
    const std::uint64_t device = next_random(state) % devices;
    const std::uint64_t metric = next_random(state) % kMetrics;
    const std::uint64_t kind = next_random(state) % 100;
    Subscription sub;
    sub.session = session;
    if (kind < 80) {
      tree.subscribe(topic_for(site, device, metric), "", sub);
    } else if (kind < 95) {
      tree.subscribe(join({"devices/site", std::to_string(site), "/+/m", std::to_string(metric)}),
                     "", sub);
    } else if (kind < 99) {
      tree.subscribe(
          join({"devices/site", std::to_string(site), "/dev", std::to_string(device), "/#"}), "",
          sub);
    } else {
      tree.subscribe(join({"devices/+/dev", std::to_string(device), "/+"}), "", sub);
    }
  }
  for (SessionKey s = 0; s < 4; ++s) tree.subscribe("devices/#", "workers", Subscription{s, {}, 0});
}

void BM_SubscriptionTreeMatch(benchmark::State& state) {
  SubscriptionTree tree;
  fill_tree(tree, state.range(0));
  const auto devices = static_cast<std::uint64_t>(state.range(0)) / kSites + 1;
  std::vector<std::string> topics;
  std::uint64_t rnd = 7;
  for (int i = 0; i < 1024; ++i) {
    topics.push_back(topic_for(next_random(rnd) % kSites, next_random(rnd) % devices,
                               next_random(rnd) % kMetrics));
  }
  const EligibilityCheck all = [](SessionKey) { return true; };
  std::vector<MatchedSubscription> out;
  std::size_t i = 0;
  std::size_t matched = 0;
  for (auto _ : state) {
    out.clear();
    tree.match(topics[i++ & 1023U], all, out);
    matched += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["subs"] = static_cast<double>(tree.size());
  state.counters["nodes"] = static_cast<double>(tree.node_count());
  state.counters["avg_matches"] =
      static_cast<double>(matched) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_SubscriptionTreeMatch)->Arg(10'000)->Arg(100'000);

void BM_SubscriptionTreeSubscribeUnsubscribe(benchmark::State& state) {
  SubscriptionTree tree;
  fill_tree(tree, state.range(0));
  std::uint64_t i = 0;
  for (auto _ : state) {
    const std::string filter = join({"churn/", std::to_string(i % 1000), "/+/x"});
    tree.subscribe(filter, "", Subscription{1'000'000'000ULL + i, {}, 0});
    tree.unsubscribe(filter, "", 1'000'000'000ULL + i);
    ++i;
  }
  state.counters["nodes"] = static_cast<double>(tree.node_count());
}
BENCHMARK(BM_SubscriptionTreeSubscribeUnsubscribe)->Arg(10'000)->Arg(100'000);

void BM_RetainedStoreMatchPrefix(benchmark::State& state) {
  RetainedStore store;
  const auto count = static_cast<std::uint64_t>(state.range(0));
  const std::uint64_t devices = count / (kSites * kMetrics) + 1;
  for (std::uint64_t n = 0; n < count; ++n) {
    auto m = std::make_shared<Message>();
    m->topic = topic_for(n % kSites, (n / kSites) % devices, (n / (kSites * devices)) % kMetrics);
    m->payload.push_back('v');  // not = "v": GCC 12 -Wrestrict false positive at -O3
    store.store(std::move(m));
  }
  std::vector<MessagePtr> out;
  std::uint64_t i = 0;
  for (auto _ : state) {
    out.clear();
    store.match(join({"devices/site", std::to_string(i++ % kSites), "/+/m1"}), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["retained"] = static_cast<double>(store.size());
}
BENCHMARK(BM_RetainedStoreMatchPrefix)->Arg(10'000)->Arg(100'000);

}  // namespace
}  // namespace arkmq::core

BENCHMARK_MAIN();
