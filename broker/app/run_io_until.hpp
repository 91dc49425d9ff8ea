// For app tests: runs an io_context (the broker's main loop) until a condition holds or a
// deadline passes. Test-only; the test's own thread.
#pragma once

#include <chrono>

#include <asio/io_context.hpp>

namespace arkmq::app::test {

// Runs `context` in 20 ms slices until `done()` (at most `limit`); returns done().
template <typename Condition>
bool run_io_until(asio::io_context& context, Condition done,
                  std::chrono::steady_clock::duration limit = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    context.run_for(std::chrono::milliseconds(20));
    if (context.stopped()) context.restart();
  }
  return done();
}

}  // namespace arkmq::app::test
