// The reload sequence: read + resolve (any error refuses the whole reload), swap the listeners'
// TLS contexts (all or nothing, in net::Server::reload_tls), apply [log], report.
#include "broker/app/reloader.hpp"

#include <time.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broker/app/systemd_notify.hpp"

namespace arkmq::app {

namespace {

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// Collects "name a -> b" for every setting that differs.
class Differences {
 public:
  template <typename T>
  void number(const char* name, const T& a, const T& b) {
    if (a != b) {
      items_.push_back(std::string(name) + " " + std::to_string(a) + " -> " + std::to_string(b));
    }
  }
  template <typename Rep, typename Period>
  void duration(const char* name, std::chrono::duration<Rep, Period> a,
                std::chrono::duration<Rep, Period> b) {
    number(name, a.count(), b.count());
  }
  void text(const char* name, const std::string& a, const std::string& b) {
    if (a != b) items_.push_back(std::string(name) + " '" + a + "' -> '" + b + "'");
  }
  void flag(const char* name, bool differs) {
    if (differs) items_.emplace_back(name);
  }
  std::vector<std::string> take() { return std::move(items_); }

 private:
  std::vector<std::string> items_;
};

void broker_differences(const core::BrokerConfig& a, const core::BrokerConfig& b, Differences& d) {
  // allow_anonymous is not here: it reaches logins through the listeners' policies (reloaded).
  d.flag("acl_default", a.acl_default != b.acl_default);
  d.number("max_packet_size", a.max_packet_size, b.max_packet_size);
  d.number("receive_maximum", a.receive_maximum, b.receive_maximum);
  d.number("topic_alias_maximum", a.topic_alias_maximum, b.topic_alias_maximum);
  d.number("max_keep_alive", a.max_keep_alive, b.max_keep_alive);
  d.number("max_session_expiry", a.max_session_expiry, b.max_session_expiry);
  d.number("maximum_qos", a.maximum_qos, b.maximum_qos);
  d.flag("retain_available", a.retain_available != b.retain_available);
  d.flag("wildcard_subscriptions", a.wildcard_subscriptions != b.wildcard_subscriptions);
  d.flag("subscription_identifiers", a.subscription_identifiers != b.subscription_identifiers);
  d.flag("shared_subscriptions", a.shared_subscriptions != b.shared_subscriptions);
  d.number("max_client_id_length", a.max_client_id_length, b.max_client_id_length);
  d.number("max_queued_messages", a.max_queued_messages, b.max_queued_messages);
  d.number("max_queued_bytes", a.max_queued_bytes, b.max_queued_bytes);
  d.number("max_link_buffer_bytes", a.max_link_buffer_bytes, b.max_link_buffer_bytes);
  d.number("v311_inflight_window", a.v311_inflight_window, b.v311_inflight_window);
  d.number("max_connections", a.max_connections, b.max_connections);
  d.number("quota_disconnect_after", a.quota_disconnect_after, b.quota_disconnect_after);
  d.number("memory_budget_bytes", a.memory_budget_bytes, b.memory_budget_bytes);
  d.duration("connect_timeout", a.connect_timeout, b.connect_timeout);
  d.duration("sys_interval", a.sys_interval, b.sys_interval);
}

bool same_audit(const AuditConfig& a, const AuditConfig& b) {
  return a.enabled == b.enabled && a.publishes == b.publishes &&
         a.capture_payloads == b.capture_payloads && a.queue_capacity == b.queue_capacity &&
         a.overflow == b.overflow && a.max_age_days == b.max_age_days && a.max_rows == b.max_rows;
}

bool same_log(const LogConfig& a, const LogConfig& b) {
  return a.level == b.level && a.format == b.format && a.modules == b.modules &&
         a.payloads == b.payloads;
}

std::vector<net::ListenerOptions> listener_options(const AppConfig& config) {
  std::vector<net::ListenerOptions> out;
  for (const auto& listener : config.listeners) {
    out.push_back({listener.url, listener.tls, listener.policy});
  }
  return out;
}

}  // namespace

std::string one_line(std::string_view text) {
  std::string out;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

bool same_listeners(const AppConfig& running, const AppConfig& next) {
  if (running.listeners.size() != next.listeners.size()) return false;
  for (std::size_t i = 0; i < running.listeners.size(); ++i) {
    if (running.listeners[i].url != next.listeners[i].url) return false;
  }
  return true;
}

std::vector<std::string> restart_only_changes(const AppConfig& running, const AppConfig& next) {
  Differences d;
  d.flag("listeners (added, removed or moved)", !same_listeners(running, next));
  d.text("data_dir", running.data_dir, next.data_dir);
  d.number("workers", running.workers, next.workers);
  d.duration("shutdown_grace_ms", running.shutdown_grace, next.shutdown_grace);
  d.text("client_id_pattern", running.client_id_pattern, next.client_id_pattern);
  broker_differences(running.broker, next.broker, d);
  d.flag("[audit]", !same_audit(running.audit, next.audit));
  d.flag("[persistence]", running.persistence.enabled != next.persistence.enabled ||
                              running.persistence.synchronous != next.persistence.synchronous);
  const auto& rate = running.connection_rate;
  const auto& next_rate = next.connection_rate;
  d.flag("[flow_control] connection rate",
         rate.max_per_window != next_rate.max_per_window || rate.window != next_rate.window ||
             rate.ban != next_rate.ban ||
             rate.max_tracked_addresses != next_rate.max_tracked_addresses);
  d.flag("[services]", !(running.services == next.services));
  d.flag("[http]", running.http.listen != next.http.listen ||
                       running.http.status_page != next.http.status_page ||
                       running.http.allow_non_loopback != next.http.allow_non_loopback);
  return d.take();
}

Reloader::Reloader(Params params) : params_(std::move(params)) {}

ReloadOutcome Reloader::refuse(std::string why) {
  ReloadOutcome outcome;
  outcome.generation = generation_;
  outcome.ok = false;
  outcome.message = "reload refused: " + one_line(why) + "; the running configuration stays";
  params_.log->error("{}", outcome.message);
  return outcome;
}

void Reloader::started() {
  ReloadOutcome outcome;
  outcome.ok = true;
  outcome.message = "started";
  if (!params_.running.data_dir.empty()) {
    std::string error;
    if (!write_reload_status(params_.running.data_dir, outcome, error)) {
      params_.log->warn("reload: {}", error);
    }
  }
}

ReloadOutcome Reloader::reload() {
  ++generation_;
  // MONOTONIC_USEC lets a Type=notify-reload unit match this RELOADING=1 to its own request.
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const std::int64_t usec = static_cast<std::int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  systemd_notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
  auto& log = *params_.log;
  const CommandLine& flags = params_.flags;
  log.info("reload {}: reading {}", generation_,
           flags.config_file ? *flags.config_file
                             : std::string("the command line (no config file)"));

  AppConfig next;
  try {
    std::optional<FileConfig> file;
    if (flags.config_file) {
      file = load_config_file(*flags.config_file);
    }
    next = resolve_config(flags, file);
  } catch (const std::exception& error) {
    ReloadOutcome outcome = refuse(error.what());
    finish(outcome);
    return outcome;
  }

  AppConfig& running = params_.running;
  std::vector<std::string> applied;
  if (same_listeners(running, next)) {
    // Every TLS context is rebuilt, changed or not: the point is to re-read the files.
    auto reloaded = params_.server.reload_tls(listener_options(next));
    if (!reloaded) {
      ReloadOutcome outcome = refuse(reloaded.error());
      finish(outcome);
      return outcome;
    }
    running.listeners = next.listeners;
    running.broker.allow_anonymous = next.broker.allow_anonymous;
    if (reloaded->contexts > 0) {
      std::string item =
          "TLS files of " + std::to_string(reloaded->contexts) + " listener(s) re-read";
      if (reloaded->revoked > 0) {
        item += ", " + std::to_string(reloaded->revoked) + " revoked client(s) disconnected";
      }
      applied.push_back(std::move(item));
    }
  }
  if (!same_log(running.log, next.log) || running.log_level != next.log_level) {
    if (params_.apply_log) {
      params_.apply_log(next.log);
      running.log = next.log;
      running.log_level = next.log_level;
      applied.emplace_back("[log] settings");
    }
  }
  std::vector<std::string> restart = restart_only_changes(running, next);
  if (!params_.apply_log &&
      (!same_log(running.log, next.log) || running.log_level != next.log_level)) {
    restart.emplace_back("[log]");
  }
  if (!restart.empty()) {
    log.warn("reload {}: these changes need a restart and are not applied: {}", generation_,
             join(restart, "; "));
  }

  ReloadOutcome outcome;
  outcome.generation = generation_;
  outcome.ok = true;
  outcome.message = "reload applied: " +
                    (applied.empty() ? std::string("nothing changed") : join(applied, "; "));
  if (!restart.empty()) {
    outcome.message += "; needs a restart (not applied): " + join(restart, "; ");
  }
  log.info("{}", outcome.message);
  finish(outcome);
  return outcome;
}

void Reloader::finish(const ReloadOutcome& outcome) {
  if (!params_.running.data_dir.empty()) {
    std::string error;
    if (!write_reload_status(params_.running.data_dir, outcome, error)) {
      params_.log->warn("reload: {}", error);
    }
  }
  // STATUS= always: a success must replace the error a refused reload left on `systemctl status`.
  systemd_notify("READY=1\nSTATUS=" + outcome.message);
}

void reload_on_signal(asio::signal_set& signals, Reloader& reloader) {
  signals.async_wait([&signals, &reloader](std::error_code error, int) {
    if (error) {
      return;  // cancelled: the broker is stopping
    }
    reloader.reload();
    reload_on_signal(signals, reloader);
  });
}

bool write_reload_status(const std::filesystem::path& data_dir, const ReloadOutcome& outcome,
                         std::string& error) {
  const nlohmann::json status = {{"generation", outcome.generation},
                                 {"ok", outcome.ok},
                                 {"message", outcome.message},
                                 {"time", utc_now()},
                                 {"pid", static_cast<long>(::getpid())}};
  const auto path = data_dir / kReloadStatusFile;
  const auto temporary = data_dir / (std::string(kReloadStatusFile) + ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << status.dump() << "\n";
    out.flush();
    if (!out) {
      error = "cannot write " + temporary.string();
      return false;
    }
  }
  std::error_code renamed;
  std::filesystem::rename(temporary, path, renamed);
  if (renamed) {
    error = "cannot rename " + temporary.string() + " to " + path.string() + ": " +
            renamed.message();
    return false;
  }
  return true;
}

PidFile::PidFile(std::filesystem::path data_dir, spdlog::logger& log) {
  if (data_dir.empty()) {
    return;
  }
  const auto path = data_dir / kPidFile;
  std::ofstream out(path, std::ios::trunc);
  out << ::getpid() << "\n";
  out.flush();
  if (!out) {
    log.warn("cannot write the pid file {} (arkmqctl reload needs --pid)", path.string());
    return;
  }
  path_ = path;
}

PidFile::~PidFile() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
}

}  // namespace arkmq::app
