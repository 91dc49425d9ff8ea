// Runs a short-lived command (mosquitto_pub, openssl, ...) with a timeout and captured output.
// Any thread; each call owns its child.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace arkmq::test {

struct CommandResult {
  ExitStatus status;
  bool timed_out = false;
  std::string output;  // stdout and stderr, interleaved
  bool ok() const { return !timed_out && status.exited && status.code == 0; }
};

// Runs argv (argv[0] looked up in PATH); kills it at the timeout.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// Like run_command but throws std::runtime_error with the output when the command fails.
std::string run_checked(const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace arkmq::test
