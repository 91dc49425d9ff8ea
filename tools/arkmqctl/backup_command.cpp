// `arkmqctl backup --to DIR`: online copies of the data dir's databases (arkmq.db, audit.db,
// state.db, those present) with SQLite's backup API, while the broker keeps running. Each copy
// is checked with quick_check and written with mode 0600 into DIR (created 0700). Restore is
// offline: stop the broker, copy the files back, start it (docs/operations.md). Owner: ops-package.
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/backup.hpp"
#include "storage/config_store.hpp"
#include "storage/state_schema.hpp"
#include "tools/arkmqctl/commands.hpp"
#include "tools/arkmqctl/context.hpp"

namespace arkmq::ctl {
namespace {

namespace fs = std::filesystem;

struct BackupOptions {
  std::string to;
};

// The databases of a data dir, in the order they are copied. The journal goes before arkmq.db:
// an arkmqctl change committed between the two copies is then in arkmq.db but not yet in the
// journal, and a broker started on the restored files journals it (admin_change_forwarder).
// The other order would leave journal rows for changes the restored arkmq.db never had.
std::vector<std::string> database_paths(const std::string& data_dir) {
  return {storage::audit_db_path(data_dir), storage::config_db_path(data_dir),
          storage::state_schema::state_db_path(data_dir)};
}

// DIR, created with mode 0700 when missing (the copies hold password hashes and messages).
Outcome prepare_target(const std::string& dir) {
  std::error_code error;
  if (fs::exists(dir, error)) {
    if (!fs::is_directory(dir, error)) return operation_error(dir + ": not a directory");
    return {};
  }
  fs::create_directories(dir, error);
  if (error) return operation_error("cannot create " + dir + ": " + error.message());
  ::chmod(dir.c_str(), S_IRWXU);
  return {};
}

Outcome run_backup(Context& ctx, const BackupOptions& options) {
  std::error_code error;
  if (!fs::is_directory(ctx.data_dir, error)) {
    return operation_error("data dir " + ctx.data_dir + " does not exist");
  }
  std::vector<std::string> sources;
  for (const std::string& path : database_paths(ctx.data_dir)) {
    if (fs::exists(path, error)) sources.push_back(path);
  }
  if (sources.empty()) {
    return operation_error("no database (arkmq.db, audit.db, state.db) in " + ctx.data_dir);
  }
  // Refuse before copying anything, so a backup is never a mix of two moments.
  for (const std::string& source : sources) {
    const std::string target = (fs::path(options.to) / fs::path(source).filename()).string();
    if (fs::exists(target, error)) {
      return operation_error(target + " exists (back up into a new or empty directory)");
    }
  }
  if (auto prepared = prepare_target(options.to); !prepared) return prepared;

  std::string text;
  nlohmann::json files = nlohmann::json::array();
  for (const std::string& source : sources) {
    const std::string name = fs::path(source).filename().string();
    const std::string target = (fs::path(options.to) / name).string();
    auto report = storage::backup_database(source, target);
    if (!report) return store_error(report.error());
    text += name + " -> " + target + ": " + std::to_string(report->pages) + " pages, " +
            std::to_string(report->bytes) + " bytes, quick_check ok\n";
    files.push_back({{"name", name},
                     {"source", source},
                     {"destination", target},
                     {"pages", report->pages},
                     {"bytes", report->bytes},
                     {"steps", report->steps},
                     {"restarts", report->restarts}});
  }
  ctx.emit(text, {{"data_dir", ctx.data_dir}, {"to", options.to}, {"files", files}});
  return {};
}

}  // namespace

void add_backup_command(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<BackupOptions>();
  auto* command = app.add_subcommand(
      "backup",
      "Copy arkmq.db, audit.db and state.db (those present) while the broker runs: SQLite's "
      "online backup, each copy checked with quick_check, mode 0600");
  command->add_option("--to", options->to,
                      "Directory for the copies (created with mode 0700; must not hold them yet)")
      ->required();
  ctx.on_run(command, [&ctx, options]() -> Outcome { return run_backup(ctx, *options); });
}

}  // namespace arkmq::ctl
