// run_command: ChildProcess with stderr folded into stdout.
#include "tests/support/run_command.hpp"

#include <stdexcept>

namespace arkmq::test {

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  const Deadline deadline(timeout);
  ChildProcess child(argv, "");
  CommandResult result;
  child.read_to_eof(deadline);
  auto status = child.wait(deadline);
  if (!status) {
    result.timed_out = true;
    child.kill_and_reap();
    status = child.wait(Deadline(std::chrono::seconds(1)));
  }
  if (status) result.status = *status;
  result.output = child.output();
  return result;
}

std::string run_checked(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  CommandResult result = run_command(argv, timeout);
  if (!result.ok()) {
    std::string line;
    for (const auto& arg : argv) line += arg + " ";
    throw std::runtime_error("command failed (" +
                             (result.timed_out ? std::string("timeout") : to_string(result.status)) +
                             "): " + line + "\n" + result.output);
  }
  return result.output;
}

}  // namespace arkmq::test
