// Google Benchmark of the audit journal: sustained writer throughput from two submitting
// threads (submit + flush, events committed per second), the row hash, and verify.
// Owned by the audit engineer. Run from a Release build; see docs/benchmarks.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/audit_journal.hpp"
#include "storage/audit_reader.hpp"
#include "storage/audit_schema.hpp"
#include "storage/test_files.hpp"

namespace arkmq::storage {
namespace {

// A private directory under $TMPDIR (storage's test helper); the database file in it.
class BenchDir {
 public:
  std::string file() const { return dir_.file("audit.db"); }
  bool ok() const { return !dir_.path().empty(); }

 private:
  test::TempDir dir_;
};

// A typical publish row: ~200 bytes of text, no payload.
AuditEvent publish_event(int i) {
  AuditEvent e;
  e.time_us = audit_now_us();
  e.type = AuditType::publish;
  e.outcome = AuditOutcome::allow;
  e.client_id = "sensor-" + std::to_string(i % 1000);
  e.principal = "plant-" + std::to_string(i % 50);
  e.peer = "10.0.0." + std::to_string(i % 250) + ":51234";
  e.listener = "tls";
  e.topic = "plant/" + std::to_string(i % 50) + "/line/3/temperature";
  e.details = AuditDetails().add("qos", 1).add("retain", false).add("size", 64).str();
  return e;
}

// Two threads submit state.range(0) events in total, then flush: what the journal sustains
// when producers are faster than the disk. `policy` block measures committed events only
// (nothing dropped); drop_and_count shows what the broker's default does under a flood.
void writer_throughput(benchmark::State& state, OverflowPolicy policy) {
  const auto total = static_cast<int>(state.range(0));
  std::uint64_t dropped = 0;
  std::uint64_t batches = 0;
  for (auto _ : state) {
    state.PauseTiming();
    BenchDir dir;
    AuditJournalOptions options;
    options.overflow = policy;
    auto journal = AuditJournal::open(dir.file(), options);
    if (!dir.ok() || !journal) {
      state.SkipWithError("cannot open the journal");
      return;
    }
    state.ResumeTiming();
    std::vector<std::thread> producers;
    for (int t = 0; t < 2; ++t) {
      producers.emplace_back([&, t] {
        for (int i = t; i < total; i += 2) (void)journal->submit(publish_event(i));
      });
    }
    for (auto& producer : producers) producer.join();
    if (!journal->flush()) state.SkipWithError("flush failed");
    state.PauseTiming();
    dropped += journal->stats().dropped;
    batches += journal->stats().batches;
    journal->close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * total);
  state.counters["dropped"] = benchmark::Counter(static_cast<double>(dropped),
                                                 benchmark::Counter::kAvgIterations);
  state.counters["batches"] = benchmark::Counter(static_cast<double>(batches),
                                                 benchmark::Counter::kAvgIterations);
}

void BM_AuditWriter_TwoThreads_Block(benchmark::State& state) {
  writer_throughput(state, OverflowPolicy::block);
}
void BM_AuditWriter_TwoThreads_Drop(benchmark::State& state) {
  writer_throughput(state, OverflowPolicy::drop_and_count);
}
BENCHMARK(BM_AuditWriter_TwoThreads_Block)->Arg(200'000)->Unit(benchmark::kMillisecond)
    ->UseRealTime()->Iterations(5);
BENCHMARK(BM_AuditWriter_TwoThreads_Drop)->Arg(200'000)->Unit(benchmark::kMillisecond)
    ->UseRealTime()->Iterations(5);

// The submit() call alone, as a broker worker pays it: the queue never fills in this run.
void BM_AuditSubmit(benchmark::State& state) {
  BenchDir dir;
  AuditJournalOptions options;
  options.capacity = 1 << 19;
  auto journal = AuditJournal::open(dir.file(), options);
  if (!journal) {
    state.SkipWithError("cannot open the journal");
    return;
  }
  const AuditEvent event = publish_event(1);
  for (auto _ : state) benchmark::DoNotOptimize(journal->submit(event));
  state.SetItemsProcessed(state.iterations());
  (void)journal->flush();
}
BENCHMARK(BM_AuditSubmit)->Iterations(200'000)->UseRealTime();

void BM_AuditRowHash(benchmark::State& state) {
  audit_schema::RowHasher hasher;
  const AuditEvent event = publish_event(1);
  AuditHash prev{};
  std::int64_t seq = 0;
  for (auto _ : state) {
    prev = hasher.hash(prev, ++seq, event);
    benchmark::DoNotOptimize(prev);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuditRowHash);

void BM_AuditVerify(benchmark::State& state) {
  BenchDir dir;
  {
    AuditJournalOptions options;
    options.overflow = OverflowPolicy::block;
    auto journal = AuditJournal::open(dir.file(), options);
    if (!journal) {
      state.SkipWithError("cannot open the journal");
      return;
    }
    for (int i = 0; i < state.range(0); ++i) (void)journal->submit(publish_event(i));
    (void)journal->flush();
  }
  auto reader = AuditReader::open(dir.file());
  if (!reader) {
    state.SkipWithError("cannot open the reader");
    return;
  }
  for (auto _ : state) {
    auto report = reader->verify();
    if (!report || !report->ok) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AuditVerify)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace arkmq::storage

BENCHMARK_MAIN();
