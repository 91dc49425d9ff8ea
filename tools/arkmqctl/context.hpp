// What every arkmqctl command shares: the global options, the configuration store (opened on
// first use), the admin-change context, output in text or JSON, and the command's outcome.
// One per process; main thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "storage/config_store.hpp"

namespace arkmq::ctl {

// Exit codes: 0 success, 1 the operation failed, 2 bad usage.
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Why a command did not succeed: its exit code and one line for stderr (without "arkmqctl: ").
struct Failure {
  int exit_code = kExitFailed;
  std::string message;
};
using Outcome = tl::expected<void, Failure>;

inline tl::unexpected<Failure> usage_error(std::string message) {
  return tl::unexpected(Failure{kExitUsage, std::move(message)});
}
inline tl::unexpected<Failure> operation_error(std::string message) {
  return tl::unexpected(Failure{kExitFailed, std::move(message)});
}
// Every store error is an operation failure (not found, conflict, unknown role, I/O).
inline tl::unexpected<Failure> store_error(const storage::Error& error) {
  return operation_error(error.message);
}

// The OS user running arkmqctl, plus " (sudo by X)" when $SUDO_USER is set.
std::string os_actor();

class Context {
 public:
  Context();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Global options, bound by main.
  std::string data_dir;
  bool json = false;

  // The store at storage::config_db_path(data_dir), opened read-write on first use. A missing
  // data dir is created with mode 0700, a missing database is created and migrated.
  tl::expected<storage::ConfigStore*, Failure> store();

  // Who is changing what, for the admin_changes row written with the change.
  storage::ChangeContext change(std::string command) const;

  // Prints a result: `json_value` (pretty, one document) with --json, else `text` as is.
  void emit(const std::string& text, const nlohmann::json& json_value) const;
  // Prints a warning line on stderr ("arkmqctl: warning: ...").
  void warn(const std::string& message) const;

  // Makes `run` the action of `command`; its outcome decides the exit code (see finish()).
  void on_run(CLI::App* command, std::function<Outcome()> run);

  // The exit code of the command that ran; prints "arkmqctl: <message>" on failure.
  int finish() const;

 private:
  std::string actor_;
  std::optional<storage::ConfigStore> store_;
  std::optional<Outcome> outcome_;
};

}  // namespace arkmq::ctl
