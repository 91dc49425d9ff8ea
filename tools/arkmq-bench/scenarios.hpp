// The scenario drivers: each builds its connections on an IoPool, runs the phases (connect,
// warm-up, measure, drain, close) from the main thread and returns the result.
#pragma once

#include <chrono>
#include <thread>

#include "tools/arkmq-bench/bench_env.hpp"
#include "tools/arkmq-bench/bench_result.hpp"

namespace arkmq::bench {

BenchResult run_pubsub(const BenchEnv& env);   // pairs, fanin, fanout, latency
BenchResult run_connect(const BenchEnv& env);  // connection (and TLS handshake) rate
BenchResult run_idle(const BenchEnv& env);     // N idle connections, broker memory per connection
BenchResult run_reqresp(const BenchEnv& env);  // service calls: one node, N callers

// Waits on the main thread (polling every 20 ms: the io threads own the state it watches)
// until `done` or the timeout; true when done.
template <class Done>
bool wait_until(Done&& done, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace arkmq::bench
