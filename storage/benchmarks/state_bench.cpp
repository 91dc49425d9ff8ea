// Google Benchmark of the durable-state store: raw change throughput (open loop: submit, then
// flush) and acknowledged QoS 1 messages per second with publishers that each wait for their
// commit before the next message (closed loop, what a publisher sees). Both synchronous modes.
// Owned by the durable-store engineer. Run from a Release build; see docs/benchmarks.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/state_store.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

// A private directory under $TMPDIR (storage's test helper); the database file in it.
class BenchDir {
 public:
  std::string file() const { return dir_.file("state.db"); }
  bool ok() const { return !dir_.path().empty(); }

 private:
  test::TempDir dir_;
};

// A 100-byte body, as the broker's adapter would encode a small sensor message.
SharedStateBlob body() {
  return std::make_shared<const StateBlob>(100, std::byte{0x42});
}

StateStoreOptions options_for(std::int64_t normal) {
  StateStoreOptions options;
  options.synchronous =
      normal == 0 ? state_schema::Synchronous::full : state_schema::Synchronous::normal;
  return options;
}

StoredMessage owed(std::uint64_t id, const SharedStateBlob& shared) {
  StoredMessage m;
  m.client_id = "sub";
  m.id = id;
  m.body_id = id;
  m.body = shared;
  return m;
}

// Each message costs two changes, as in the broker: saved when routed to a persistent session,
// removed when that session acknowledges it.
void store_throughput(benchmark::State& state) {
  BenchDir dir;
  if (!dir.ok()) {
    state.SkipWithError("no temp dir");
    return;
  }
  auto store = StateStore::open(dir.file(), options_for(state.range(0)));
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  const SharedStateBlob shared = body();
  std::uint64_t id = 0;
  constexpr int kMessages = 20000;
  for (auto _ : state) {
    for (int i = 0; i < kMessages; ++i) {
      ++id;
      store->save_message(owed(id, shared));
      store->remove_message("sub", id);
    }
    if (auto flushed = store->flush(); !flushed) state.SkipWithError(flushed.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * kMessages * 2);
  state.counters["batches"] = static_cast<double>(store->stats().batches);
}
BENCHMARK(store_throughput)->Arg(0)->Arg(1)->ArgName("normal")->Unit(benchmark::kMillisecond)->UseRealTime();

// Publishers each send one QoS 1 message, wait for the commit holding it (the PUBACK), repeat.
void acked_qos1(benchmark::State& state) {
  BenchDir dir;
  if (!dir.ok()) {
    state.SkipWithError("no temp dir");
    return;
  }
  auto store = StateStore::open(dir.file(), options_for(state.range(0)));
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  const int publishers = static_cast<int>(state.range(1));
  constexpr int kPerPublisher = 500;
  const SharedStateBlob shared = body();
  std::atomic<std::uint64_t> next_id{0};
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int p = 0; p < publishers; ++p) {
      threads.emplace_back([&] {
        std::mutex mutex;
        std::condition_variable acked;
        for (int i = 0; i < kPerPublisher; ++i) {
          const std::uint64_t id = ++next_id;
          bool done = false;
          const auto ticket = store->save_message(owed(id, shared));
          store->when_committed(ticket, [&] {
            std::lock_guard lock(mutex);
            done = true;
            acked.notify_one();
          });
          std::unique_lock lock(mutex);
          acked.wait(lock, [&] { return done; });
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  state.SetItemsProcessed(state.iterations() * publishers * kPerPublisher);
  state.counters["batches"] = static_cast<double>(store->stats().batches);
}
BENCHMARK(acked_qos1)
    ->ArgsProduct({{0, 1}, {1, 16, 64}})
    ->ArgNames({"normal", "publishers"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace arkmq::storage

BENCHMARK_MAIN();
