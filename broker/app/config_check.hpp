// `arkmq-broker --check-config FILE`: every error of a config file at once, with its line, and
// the checks that could only fail later (TLS files loadable, listener URLs, data_dir usable),
// without binding a port or creating a file. Also the printing of config errors for startup.
// Owner: ops-config. Main thread, before anything runs.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "broker/app/app_config.hpp"

namespace arkmq::app {

// A config file read as far as it goes: `file` is empty only when the text cannot be parsed as
// TOML (or read); `errors` are "FILE:LINE:COL: message", in file order.
struct ParsedConfig {
  std::optional<FileConfig> file;
  std::vector<std::string> errors;
  std::string data_dir_where;  // "FILE:LINE:COL" of data_dir, when the file sets it
};
ParsedConfig read_config_text(std::string_view text, const std::string& source_name);
ParsedConfig read_config_file(const std::string& path);
// Orders "SOURCE:LINE:COL: ..." messages by position (others first, in their order).
void sort_by_position(std::vector<std::string>& errors, const std::string& source_name);

// Every error of `flags.check_config` resolved with the other flags; empty: good to start.
std::vector<std::string> check_config(const CommandLine& flags);

// The configuration main() runs with: the file (if any) read and resolved with the flags. On any
// error, ConfigError holds every error found (one per line), not only the first.
AppConfig load_config(const CommandLine& flags);

// Runs the check: errors one per line on `err` and 1, or "FILE: configuration OK" on `out` and 0.
int run_config_check(const CommandLine& flags, std::ostream& out, std::ostream& err);

// "arkmq-broker: config error: MESSAGE", once per line of the error's text.
void print_config_error(std::ostream& err, const ConfigError& error);

}  // namespace arkmq::app
