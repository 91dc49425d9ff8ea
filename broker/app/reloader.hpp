// SIGHUP / `arkmqctl reload`: re-reads the config file (with the original command line), applies
// what can change at run time (TLS files and settings of the existing listeners, [log]), lists
// what needs a restart, refuses a bad configuration whole. Owner: ops-reload; main thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio/signal_set.hpp>
#include <spdlog/logger.h>

#include "broker/app/app_config.hpp"
#include "broker/net/server.hpp"

namespace arkmq::app {

struct ReloadOutcome {
  std::uint64_t generation = 0;  // 1 for the first reload since start
  bool ok = false;               // applied (perhaps with changes that wait for a restart)
  std::string message;           // the line logged and written to reload.status
};

class Reloader {
 public:
  struct Params {
    CommandLine flags;   // the original command line: its flags still win over the file
    AppConfig running;   // the configuration in force
    net::Server& server;
    // New [log] settings (Logging::apply); empty: log changes wait for a restart.
    std::function<void(const LogConfig&)> apply_log;
    std::shared_ptr<spdlog::logger> log;
  };

  explicit Reloader(Params params);

  // Once serving: reload.status says generation 0 (a status left by an earlier process is
  // replaced, so `arkmqctl reload` never waits on a stale generation).
  void started();

  // Re-reads and applies; logs the outcome, writes <data_dir>/reload.status, tells systemd.
  ReloadOutcome reload();

  // The configuration in force: the start's, with what reloads applied.
  const AppConfig& running() const { return params_.running; }

 private:
  ReloadOutcome refuse(std::string why);
  void finish(const ReloadOutcome& outcome);

  Params params_;
  std::uint64_t generation_ = 0;
};

// Main thread: every signal of `signals` (SIGHUP) runs reloader.reload(), then waits again.
// Both outlive the io_context's run.
void reload_on_signal(asio::signal_set& signals, Reloader& reloader);

// What differs between `running` and `next` that only a restart applies, one short item each
// ("workers 2 -> 4", "data_dir", "listeners"); empty when a reload can apply everything.
std::vector<std::string> restart_only_changes(const AppConfig& running, const AppConfig& next);

// True when `next` has the same listener URLs, in the same order, as `running` (so their TLS
// settings and policies can be swapped in place).
bool same_listeners(const AppConfig& running, const AppConfig& next);

// "a; b; c": a multi-line error (the config file's list of errors) as one log line.
std::string one_line(std::string_view text);

// <data_dir>/reload.status: {"generation","ok","message","time","pid"}, written to a temporary
// file and renamed over the old one, so a reader never sees half of it. False (and `error` set)
// when it cannot be written.
bool write_reload_status(const std::filesystem::path& data_dir, const ReloadOutcome& outcome,
                         std::string& error);
inline constexpr const char* kReloadStatusFile = "reload.status";

// <data_dir>/arkmq-broker.pid while the broker runs (arkmqctl reload finds the process by it);
// removed by the destructor, i.e. at a clean stop. Empty data_dir: no file.
class PidFile {
 public:
  PidFile(std::filesystem::path data_dir, spdlog::logger& log);
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::filesystem::path path_;  // empty: none written
};
inline constexpr const char* kPidFile = "arkmq-broker.pid";

}  // namespace arkmq::app
