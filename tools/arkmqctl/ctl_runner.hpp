// Runs the built arkmqctl binary for the process tests: arguments, stdin bytes and environment
// in; exit code, stdout and stderr (apart) out. Test thread only; each call owns its child.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace arkmq::ctl::test {

struct CtlResult {
  int exit_code = -1;  // -1: killed by a signal or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
};

struct CtlRun {
  std::string program;            // "" for the built arkmqctl
  std::vector<std::string> args;  // after the program name
  std::string stdin_data;         // written, then stdin is closed
  // Environment changes: a value sets the variable, nullopt removes it.
  std::map<std::string, std::optional<std::string>> env;
};

// Kills the child after 30 s (a hang is a failure, reported as timed_out).
CtlResult run_ctl(const CtlRun& run);

// A temp dir whose "data" subdirectory (not created) is the data dir, and helpers that pass it.
class CtlFixtureBase {
 public:
  CtlFixtureBase();
  const std::string& data_dir() const { return data_dir_; }
  std::string db_path() const;
  // arkmqctl --data-dir DIR args...
  CtlResult ctl(std::vector<std::string> args, const std::string& stdin_data = "") const;
  // user add NAME with a quickly hashed password; fails the test when it does not exit 0.
  void add_user(const std::string& name, const std::string& password,
                const std::vector<std::string>& roles = {}) const;
  void add_role(const std::string& name) const;

 private:
  arkmq::test::TempDir dir_;
  std::string data_dir_;
};

// Every bad-usage or failure exit prints exactly one "arkmqctl: ..." line on stderr.
bool is_one_error_line(const std::string& err);

}  // namespace arkmq::ctl::test
