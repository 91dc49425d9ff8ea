// arkmq-broker: loads the configuration, wires core::Broker to the net::Server and the identity
// and access policy (acl::Authority, loaded from <data_dir>/arkmq.db and kept current by the
// PolicyWatcher), prints one "listening on URL" line per listener, and runs until SIGINT/SIGTERM
// (graceful stop, exit 0). SIGHUP re-reads the configuration and TLS files (reloader.hpp).
// Exit codes: 0 normal stop, 1 runtime failure (e.g. a port in use), 2 configuration error
// (including a configuration database that cannot be opened, migrated or loaded).
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "acl/authority.hpp"
#include "broker/app/acl_policy.hpp"
#include "broker/app/admin_change_forwarder.hpp"
#include "broker/app/app_config.hpp"
#include "broker/app/audit_bridge.hpp"
#include "broker/app/audit_wiring.hpp"
#include "broker/app/config_check.hpp"
#include "broker/app/core_handler.hpp"
#include "broker/app/durable_store_wiring.hpp"
#include "broker/app/event_fanout.hpp"
#include "broker/app/fd_limit.hpp"
#include "broker/app/flow_control_wiring.hpp"
#include "broker/app/http_wiring.hpp"
#include "broker/app/metered_handler.hpp"
#include "broker/app/metrics_sys.hpp"
#include "broker/app/logging.hpp"
#include "broker/app/message_log.hpp"
#include "broker/app/policy_watcher.hpp"
#include "broker/app/quota_limits.hpp"
#include "broker/app/reloader.hpp"
#include "broker/app/service_wiring.hpp"
#include "broker/app/status_page.hpp"
#include "broker/app/status_sampler.hpp"
#include "broker/app/systemd_notify.hpp"
#include "broker/net/server.hpp"
#include "storage/audit_journal.hpp"
#include "storage/config_store.hpp"

namespace {

using namespace arkmq;

void prepare_data_dir(const std::string& dir) {
  if (dir.empty()) {
    return;
  }
  std::error_code error;
  if (std::filesystem::exists(dir, error)) {
    if (!std::filesystem::is_directory(dir, error)) {
      throw app::ConfigError("data_dir '" + dir + "' exists and is not a directory");
    }
    return;
  }
  std::filesystem::create_directories(dir, error);
  if (error) {
    throw app::ConfigError("cannot create data_dir '" + dir + "': " + error.message());
  }
  ::chmod(dir.c_str(), S_IRWXU);  // 0700: sessions and audit data are private
}

net::ServerOptions server_options(const app::AppConfig& config,
                                  std::shared_ptr<spdlog::logger> log,
                                  const std::shared_ptr<app::AuditBridge>& audit) {
  net::ServerOptions options;
  for (const auto& listener : config.listeners) {
    options.listeners.push_back({listener.url, listener.tls, listener.policy});
  }
  options.workers = config.workers;
  // The core drops QoS 0 past max_link_buffer_bytes; far beyond that the peer is not reading.
  options.limits.max_queued_bytes = 4 * config.broker.max_link_buffer_bytes;
  options.log = std::move(log);
  if (audit) {
    options.on_tls_failure = [audit](const core::ConnectionInfo& connection,
                                     std::string_view reason) {
      audit->tls_failure(connection, reason);
    };
    // A reload's CRL revoked an open connection's certificate: journaled as a tls_failure row
    // (such rows have no principal column value: the reason names it).
    options.on_tls_revoked = [audit](const core::ConnectionInfo& connection,
                                     std::string_view reason) {
      audit->tls_failure(connection, std::string(reason) + ", principal '" +
                                         connection.certificate_principal.value_or("") + "'");
    };
  }
  return options;
}

// The configuration database of `data_dir`, opened (and migrated) for the broker's own use.
std::optional<storage::ConfigStore> open_config_store(const std::string& data_dir) {
  if (data_dir.empty()) {
    return std::nullopt;
  }
  auto store = storage::ConfigStore::open(storage::config_db_path(data_dir),
                                          storage::ConfigStore::Mode::read_write);
  if (!store) {
    throw app::ConfigError(store.error().message);
  }
  // The first check only records the store's version; changes committed from here on are seen
  // by the watcher (one committed before the first load is simply loaded twice).
  (void)store->changed_since_last_check();
  return std::move(*store);
}

// The audit journal of `data_dir`, opened (created, migrated) with its writer thread running.
// A file that is not a journal, corrupt or from a newer broker is a configuration error.
std::optional<storage::AuditJournal> open_audit_journal(const app::AppConfig& config,
                                                        spdlog::logger& log) {
  if (!config.audit.enabled) {
    if (config.data_dir.empty()) {
      log.info("audit journal off: no data_dir");
    } else {
      log.info("audit journal off: [audit] enabled = false");
    }
    return std::nullopt;
  }
  const std::string path = storage::audit_db_path(config.data_dir);
  auto journal = storage::AuditJournal::open(path, app::journal_options(config.audit));
  if (!journal) {
    const std::string& message = journal.error().message;
    throw app::ConfigError(message.starts_with(path) ? message : path + ": " + message);
  }
  log.info("audit journal: {} (publishes {}, {} payload filter(s))", path,
           app::to_string(config.audit.publishes),
           config.audit.capture_payloads.size());
  return std::move(*journal);
}

acl::AuthoritySettings authority_settings(const app::AppConfig& config) {
  acl::AuthoritySettings settings;
  settings.default_effect =
      config.broker.acl_default == core::AclDefault::allow ? acl::Effect::allow : acl::Effect::deny;
  settings.client_id_pattern = config.client_id_pattern;
  return settings;
}

// The policy of a broker without a data directory: no users and no stored rules, so only
// certificate and anonymous principals under acl_default. With acl_default "allow" (an
// explicitly open broker, as before issue 3) clients may also read $SYS, which the ACL otherwise
// grants only through rules that name it and which such a broker has no way to store.
acl::PolicyData storeless_policy(const app::AppConfig& config) {
  acl::PolicyData data;
  if (config.broker.acl_default != core::AclDefault::allow) {
    return data;
  }
  for (const acl::Subject subject : {acl::Subject::anyone, acl::Subject::anonymous}) {
    acl::Rule rule;
    rule.subject = subject;
    rule.actions = static_cast<acl::ActionSet>(acl::Action::subscribe) |
                   static_cast<acl::ActionSet>(acl::Action::receive);
    rule.topic = "$SYS/#";
    rule.effect = acl::Effect::allow;
    rule.origin = "built in: acl_default allow without a data_dir";
    data.rules.push_back(std::move(rule));
  }
  return data;
}

void schedule_tick(asio::steady_timer& timer, core::Broker& broker) {
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([&timer, &broker](std::error_code error) {
    if (!error) {
      broker.tick(core::Clock::now());
      schedule_tick(timer, broker);
    }
  });
}

// Service call deadlines are answered within ~50 ms of passing (Broker::tick_services).
void schedule_service_tick(asio::steady_timer& timer, core::Broker& broker) {
  timer.expires_after(std::chrono::milliseconds(50));
  timer.async_wait([&timer, &broker](std::error_code error) {
    if (!error) {
      broker.tick_services(core::Clock::now());
      schedule_service_tick(timer, broker);
    }
  });
}

// [audit] publishes = "summary": rows whose one-second interval ended are written within 250 ms.
void schedule_audit_tick(asio::steady_timer& timer, app::AuditBridge& audit) {
  timer.expires_after(std::chrono::milliseconds(250));
  timer.async_wait([&timer, &audit](std::error_code error) {
    if (!error) {
      audit.tick_publish_summary();
      schedule_audit_tick(timer, audit);
    }
  });
}

int run(const app::AppConfig& config, const app::CommandLine& flags) {
  // A logger per module over one stderr sink ([log]); declared first so that it outlives every
  // thread that logs, and SIGHUP applies a new [log] to it (logging.apply). The core and the
  // app's own lines use the default logger: the "broker" module.
  app::Logging logging(config.log);
  auto log = logging.get("broker");
  spdlog::set_default_logger(log);
  app::raise_fd_limit(config, *log);  // one descriptor per connection (fd_limit.hpp)

  prepare_data_dir(config.data_dir);
  std::optional<storage::ConfigStore> store = open_config_store(config.data_dir);
  // Declared before the broker and the server: the journal outlives every thread that submits.
  std::optional<storage::AuditJournal> journal = open_audit_journal(config, *logging.get("audit"));
  // <data_dir>/state.db (null when persistence is off); a refused file ends startup (exit 2).
  std::shared_ptr<app::DurableStore> durable =
      app::open_persistence(config, logging.get("persistence"));
  std::shared_ptr<app::AuditBridge> audit;
  std::optional<app::AdminChangeForwarder> admin_changes;
  if (journal) {
    audit = std::make_shared<app::AuditBridge>(*journal, app::bridge_options(config.audit));
    if (store) {
      const std::string path = storage::audit_db_path(config.data_dir);
      auto last = app::last_journaled_admin_change(path, *store);
      if (!last) {
        throw app::ConfigError(last.error().message);
      }
      admin_changes.emplace(*store, *journal, *last);
      admin_changes->forward();
    }
  }

  auto authority = std::make_shared<acl::Authority>(authority_settings(config));
  auto policy = std::make_shared<app::AclPolicy>(authority, logging.get("acl"));
  core::Broker broker(config.broker, policy, policy);
  // Per-principal flow-control limits from the policy's quotas, reloaded with it (below).
  auto quota_limits = std::make_shared<app::QuotaLimits>();
  broker.set_limits_provider(quota_limits);
  // Every sink of core events (audit, metrics, the status page) behind one fan-out.
  auto events = std::make_shared<app::EventFanout>();
  events->add(audit);
  // Event counters for /metrics and $SYS (metrics.hpp; always on: $SYS shows them too).
  auto metrics = std::make_shared<app::Metrics>();
  events->add(metrics);
  // The status page (status_page.hpp): recent denials and quota hits, rates; null when off.
  // Declared before the HTTP endpoint, whose threads read it.
  std::unique_ptr<app::StatusPage> status_page;
  if (!config.http.listen.empty() && config.http.status_page) {
    status_page = std::make_unique<app::StatusPage>(broker);
    events->add(status_page->events());
  }
  if (journal) {
    broker.set_sys_extra(app::audit_sys_values(*journal));
  }
  // Connection-rate bans per source address (null: off); their $SYS values join the audit's.
  auto connection_rate = app::make_connection_rate_limiter(config.connection_rate);
  if (connection_rate) {
    broker.set_sys_extra(app::with_connection_rate_sys(
        journal ? app::audit_sys_values(*journal) : core::SysExtra{}, connection_rate));
  }
  // [services]: settings before serving; available nodes per service join the $SYS values
  // (after the metrics' own: denials, calls, loop lag, listeners).
  app::wire_services(broker, config.services, *events,
                     app::with_metrics_sys(
                         app::with_connection_rate_sys(
                             journal ? app::audit_sys_values(*journal) : core::SysExtra{},
                             connection_rate),
                         metrics));
  logging.get("services")->info("{}", app::services_summary(config.services));
  log->info("{}; memory budget {}", app::flow_control_summary(config.connection_rate),
            config.broker.memory_budget_bytes == 0
                ? std::string("off")
                : std::to_string(config.broker.memory_budget_bytes) + " bytes");
  if (config.log.payloads) {
    // [log] payloads = true: a debug line per publish with its bytes; never without the opt-in.
    events->add(std::make_shared<app::MessageLog>(log));
  }
  if (!events->empty()) {
    broker.set_events(events);  // none: the core skips building event facts
  }
  if (durable) {
    app::start_persistence(broker, durable, *logging.get("persistence"));  // restore, then report
  }
  net::ServerOptions options = server_options(config, logging.get("net"), audit);
  app::add_connection_rate(options, connection_rate, events);  // bans: audit, metrics, status
  // Each connection's bytes in and out are metered per listener (metered_handler.hpp).
  net::Server server(std::move(options), app::metered(app::core_handler_factory(broker), metrics));
  // [http]: the operators' HTTP listener (null when off); routes before it starts.
  std::unique_ptr<http::Endpoint> http_endpoint = app::open_http(config.http, logging.get("http"));
  if (http_endpoint) {
    app::add_metrics_route(*http_endpoint, {&broker, metrics.get(), journal ? &*journal : nullptr,
                                            connection_rate.get()});
    // status page routes (ops-status)
    if (status_page) status_page->add_routes(*http_endpoint);  // /, /api/status, ...
  }

  // Signals are caught by the main thread's io_context, which also drives the broker's timer
  // and the policy watcher (the store's SQLite connection stays on this thread).
  asio::io_context main_context{1};
  std::optional<app::PolicyWatcher> watcher;
  if (store) {
    app::PolicyWatcher::Params params{main_context, *store, *authority, broker};
    params.log = logging.get("acl");
    params.on_change = [&admin_changes, &store, quota_limits] {
      if (admin_changes) admin_changes->forward();
      quota_limits->reload(*store);  // `arkmqctl quota set` applies within one poll
    };
    watcher.emplace(std::move(params));
    if (auto error = watcher->reload(); !error.empty()) {
      throw app::ConfigError(error);  // the store's messages name the file
    }
    if (auto error = quota_limits->reload(*store); !error.empty()) {
      throw app::ConfigError(error);
    }
  } else {
    const acl::PolicyData data = storeless_policy(config);
    if (auto updated = authority->update(data); !updated) {
      throw app::ConfigError(updated.error());
    }
    log->info("{}", app::policy_reloaded_line(authority->generation(), data.rules.size(), 0));
  }
  asio::signal_set signals(main_context, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code error, int signal) {
    if (!error) {
      log->info("signal {}: shutting down", signal);
      app::systemd_notify("STOPPING=1");
      main_context.stop();
    }
  });
  // SIGHUP (arkmqctl reload): re-read the configuration and TLS files (app::Reloader).
  app::Reloader reloader({flags, config, server,
                          [&logging](const app::LogConfig& settings) { logging.apply(settings); },
                          logging.get("reload")});
  asio::signal_set hangup(main_context, SIGHUP);
  app::reload_on_signal(hangup, reloader);

  if (auto started = server.start(); !started) {
    std::cerr << "arkmq-broker: " << started.error() << std::endl;
    return 1;
  }
  for (const auto& url : server.bound_urls()) {
    std::cout << "listening on " << url << "\n";
  }
  std::cout.flush();
  app::watch_server(*metrics, server);  // worker loop lag; every listener listed from 0
  if (auto started = app::start_http(http_endpoint.get(), *logging.get("http")); !started) {
    std::cerr << "arkmq-broker: " << started.error() << std::endl;
    server.stop();
    return 1;
  }
  log->info("{} started: {} worker(s), anonymous {}", config.broker.version, server.worker_count(),
            config.broker.allow_anonymous ? "allowed" : "denied");
  if (!app::systemd_notify(app::ready_message(server.bound_urls()))) {
    log->warn("sd_notify: cannot send READY=1 to NOTIFY_SOCKET");  // Type=notify times out
  }
  reloader.started();  // reload.status: generation 0
  app::PidFile pid_file(config.data_dir, *log);  // removed when run() returns

  asio::steady_timer tick(main_context);
  schedule_tick(tick, broker);
  asio::steady_timer service_tick(main_context);
  schedule_service_tick(service_tick, broker);
  asio::steady_timer audit_tick(main_context);
  if (audit) schedule_audit_tick(audit_tick, *audit);
  std::optional<app::StatusSampler> status_sampler;  // the page's rates, once a second
  if (status_page) status_sampler.emplace(main_context, *status_page);
  if (watcher) {
    watcher->start();
  }
  main_context.run();

  if (http_endpoint) http_endpoint->stop();  // no scrape reads a stopping broker
  // Drain first (Broker::drain): no new work, acks owed in both directions cross the wire and
  // the durable store keeps committing (releasing held PUBACKs) until settled or the grace is
  // over; then DISCONNECT 0x8B and close. stop_persistence below commits whatever is left.
  server.stop([&broker, grace = config.shutdown_grace] {
    broker.drain(grace);
    broker.shutdown();
  });
  if (journal) {
    // Every worker has stopped: nothing submits any more. Pending publish counts first.
    audit->flush_publish_summary();
    if (admin_changes) {
      admin_changes->forward();
    }
    if (auto flushed = journal->flush(); !flushed) {
      log->warn("audit journal: {}", flushed.error().message);
    }
    journal->close();
  }
  if (durable) {
    app::stop_persistence(*durable, *logging.get("persistence"));  // the broker stopped reporting
  }
  log->info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  app::CommandLine flags;
  if (auto exit_code = app::parse_command_line(argc, argv, flags)) {
    return *exit_code;
  }
  if (flags.check_config) {
    return app::run_config_check(flags, std::cout, std::cerr);  // binds and creates nothing
  }
  app::AppConfig config;
  try {
    config = app::load_config(flags);  // the file's errors all at once
  } catch (const app::ConfigError& error) {
    app::print_config_error(std::cerr, error);  // every error of the file, one per line
    return 2;
  }
  try {
    return run(config, flags);
  } catch (const app::ConfigError& error) {
    std::cerr << "arkmq-broker: config error: " << error.what() << std::endl;
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "arkmq-broker: " << error.what() << std::endl;
    return 1;
  }
}
