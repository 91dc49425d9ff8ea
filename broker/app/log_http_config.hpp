// The operators' tables of the config file: [http] (the metrics and status listener) and [log]
// (format and levels per module). Read by config_file.cpp. Main thread.
#pragma once

#include <toml++/toml.h>

#include "broker/app/app_config.hpp"
#include "broker/app/config_reader.hpp"

namespace arkmq::app {

// [http]: `listen` is checked as a URL (http://, address literal) and must be loopback unless
// allow_non_loopback. Errors are thrown (ConfigError) or recorded by `reader`.
HttpConfig read_http(const ConfigReader& reader, const toml::node& node);

// [log] as written: its config, and whether `level` was set.
struct FileLog {
  LogConfig config;
  bool level_set = false;  // `level` was written (it then conflicts with a top-level log_level)
};

// [log] and [log.modules]: known modules and levels only.
FileLog read_log(const ConfigReader& reader, const toml::node& node);

}  // namespace arkmq::app
