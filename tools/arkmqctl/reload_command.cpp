// `arkmqctl reload`: asks a running arkmq-broker to re-read its configuration and TLS files
// (SIGHUP to the pid in <data_dir>/arkmq-broker.pid) and waits, bounded, for the broker's verdict
// in <data_dir>/reload.status. Exit 0 applied, 1 refused (or no answer, or no such broker),
// 2 bad usage. The file names are the broker's (broker/app/reloader.hpp).
#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>

#include "tools/arkmqctl/commands.hpp"

namespace arkmq::ctl {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kPidFile = "arkmq-broker.pid";
constexpr const char* kStatusFile = "reload.status";
constexpr const char* kBrokerName = "arkmq-broker";

struct ReloadOptions {
  long pid = 0;
  double timeout_s = 10;
  CLI::Option* pid_option = nullptr;
};

struct Status {
  std::int64_t generation = -1;
  long pid = 0;
  bool ok = false;
  std::string message;
  nlohmann::json json;
};

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The broker replaces the file by rename, so a read sees an old or a new one, never half.
std::optional<Status> read_status(const fs::path& path) {
  auto text = read_text(path);
  if (!text) return std::nullopt;
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  Status status;
  status.generation = json.value("generation", std::int64_t{-1});
  status.pid = json.value("pid", 0L);
  status.ok = json.value("ok", false);
  status.message = json.value("message", std::string());
  status.json = std::move(json);
  return status;
}

// The process's name: /proc/PID/comm, else the base name of argv[0] from /proc/PID/cmdline.
bool is_broker_process(long pid, std::string& seen) {
  const fs::path proc = fs::path("/proc") / std::to_string(pid);
  if (auto comm = read_text(proc / "comm")) {
    seen = comm->substr(0, comm->find('\n'));
    if (seen == kBrokerName) return true;
  }
  if (auto cmdline = read_text(proc / "cmdline")) {
    const std::string argv0 = cmdline->substr(0, cmdline->find('\0'));
    if (fs::path(argv0).filename() == kBrokerName) return true;
    if (seen.empty()) seen = argv0;
  }
  return false;
}

tl::expected<long, Failure> broker_pid(const Context& ctx, const ReloadOptions& o) {
  if (o.pid_option->count() > 0) {
    if (o.pid <= 0) return usage_error("--pid must be a positive process id");
    return o.pid;
  }
  const fs::path path = fs::path(ctx.data_dir) / kPidFile;
  auto text = read_text(path);
  if (!text) {
    return operation_error("no pid file " + path.string() +
                           ": is arkmq-broker running with data_dir " + ctx.data_dir +
                           "? (or give --pid)");
  }
  try {
    std::size_t used = 0;
    const long pid = std::stol(*text, &used);
    if (pid > 0) return pid;
  } catch (const std::exception&) {
  }
  return operation_error("pid file " + path.string() + " does not hold a process id");
}

Outcome run_reload(Context& ctx, const ReloadOptions& o) {
  if (!(o.timeout_s > 0 && o.timeout_s <= 600)) {
    return usage_error("--timeout must be more than 0 and at most 600 seconds");
  }
  auto pid = broker_pid(ctx, o);
  if (!pid) return tl::unexpected(pid.error());
  const std::string source = o.pid_option->count() > 0
                                 ? "--pid"
                                 : "the pid file " + (fs::path(ctx.data_dir) / kPidFile).string();
  if (::kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH) {
    return operation_error("process " + std::to_string(*pid) + " (from " + source +
                           ") is gone: the pid file is stale, or the broker is not running");
  }
  std::string seen;
  if (!is_broker_process(*pid, seen)) {
    return operation_error("process " + std::to_string(*pid) + " (from " + source + ") is '" +
                           seen + "', not arkmq-broker: refusing to signal it");
  }

  // The verdict to wait for: from this process, newer than the one on file now.
  const fs::path status_path = fs::path(ctx.data_dir) / kStatusFile;
  std::int64_t before = -1;
  if (auto status = read_status(status_path); status && status->pid == *pid) {
    before = status->generation;
  }
  if (::kill(static_cast<pid_t>(*pid), SIGHUP) != 0) {
    return operation_error("cannot signal process " + std::to_string(*pid) + ": " +
                           std::strerror(errno) + " (run as the broker's user or root)");
  }
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_s * 1000));
  // Polled: the broker renames a new file into place once per reload (tens of milliseconds).
  for (int round = 0; round < 120000 && Clock::now() < deadline; ++round) {
    if (auto status = read_status(status_path);
        status && status->pid == *pid && status->generation > before) {
      if (!status->ok) {
        return operation_error(status->message);
      }
      ctx.emit(status->message, status->json);
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return operation_error("signal sent to process " + std::to_string(*pid) + ", but " +
                         status_path.string() + " shows no new reload after " +
                         std::to_string(static_cast<int>(o.timeout_s)) +
                         " s (is the broker's data_dir " + ctx.data_dir +
                         "? see the broker's log)");
}

}  // namespace

void add_reload_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ReloadOptions>();
  auto* command = app.add_subcommand(
      "reload",
      "Make the running broker re-read its config file and TLS files (SIGHUP) and print its "
      "verdict: exit 0 applied, 1 refused");
  o->pid_option = command->add_option("--pid", o->pid,
                                      "The broker's process id (default: from "
                                      "<data-dir>/arkmq-broker.pid)");
  command->add_option("--timeout", o->timeout_s,
                      "Seconds to wait for the broker's verdict (default 10)");
  ctx.on_run(command, [&ctx, o]() -> Outcome { return run_reload(ctx, *o); });
}

}  // namespace arkmq::ctl
