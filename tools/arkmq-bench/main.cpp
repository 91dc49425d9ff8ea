// arkmq-bench: an MQTT load generator (docs/bench.md). Parses the options, runs one scenario,
// prints the summary (text or --json). Exit 0: completed; 1: errors or QoS 1 losses; 2: usage.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/arkmq-bench/bench_env.hpp"
#include "tools/arkmq-bench/bench_options.hpp"
#include "tools/arkmq-bench/scenarios.hpp"

int main(int argc, char** argv) {
  using namespace arkmq::bench;
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto options = parse_options(args);
  if (!options) {
    std::fprintf(options.error().exit_code == 0 ? stdout : stderr, "%s%s",
                 options.error().text.c_str(), options.error().exit_code == 0 ? "" : "\n");
    return options.error().exit_code;
  }
  try {
    raise_file_limit();
    auto env = BenchEnv::make(*options);
    if (!env) {
      std::fprintf(stderr, "arkmq-bench: %s\n", env.error().text.c_str());
      return env.error().exit_code;
    }
    BenchResult result;
    switch (options->scenario) {
      case Scenario::connect: result = run_connect(**env); break;
      case Scenario::idle: result = run_idle(**env); break;
      case Scenario::pairs:
      case Scenario::fanin:
      case Scenario::fanout:
      case Scenario::latency: result = run_pubsub(**env); break;
      case Scenario::reqresp: result = run_reqresp(**env); break;
    }
    const std::string summary = options->json ? format_json(result) + "\n" : format_text(result);
    std::fputs(summary.c_str(), stdout);
    return exit_code(result);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "arkmq-bench: %s\n", e.what());
    return 1;
  }
}
