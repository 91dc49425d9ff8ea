// arkmq-broker: loads the configuration, wires core::Broker to the net::Server, prints one
// "listening on URL" line per listener, and runs until SIGINT/SIGTERM (graceful stop, exit 0).
// Exit codes: 0 normal stop, 1 runtime failure (e.g. a port in use), 2 configuration error.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "broker/app/app_config.hpp"
#include "broker/app/core_handler.hpp"
#include "broker/core/default_policy.hpp"
#include "broker/net/server.hpp"

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
                                  std::shared_ptr<spdlog::logger> log) {
  net::ServerOptions options;
  for (const auto& listener : config.listeners) {
    options.listeners.push_back({listener.url, listener.tls});
  }
  options.workers = config.workers;
  // The core drops QoS 0 past max_link_buffer_bytes; far beyond that the peer is not reading.
  options.limits.max_queued_bytes = 4 * config.broker.max_link_buffer_bytes;
  options.log = std::move(log);
  return options;
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

int run(const app::AppConfig& config) {
  auto log = spdlog::stderr_color_mt("arkmq");
  log->set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_default_logger(log);

  prepare_data_dir(config.data_dir);

  core::Broker broker(config.broker,
                      std::make_shared<core::DefaultAuthenticator>(config.broker.allow_anonymous),
                      std::make_shared<core::DefaultAuthorizer>(config.broker.acl_default));
  net::Server server(server_options(config, log), app::core_handler_factory(broker));

  // Signals are caught by the main thread's io_context, which also drives the broker's timer.
  asio::io_context main_context{1};
  asio::signal_set signals(main_context, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code error, int signal) {
    if (!error) {
      log->info("signal {}: shutting down", signal);
      main_context.stop();
    }
  });

  if (auto started = server.start(); !started) {
    std::cerr << "arkmq-broker: " << started.error() << std::endl;
    return 1;
  }
  for (const auto& url : server.bound_urls()) {
    std::cout << "listening on " << url << "\n";
  }
  std::cout.flush();
  log->info("{} started: {} worker(s), anonymous {}", config.broker.version, server.worker_count(),
            config.broker.allow_anonymous ? "allowed" : "denied");

  asio::steady_timer tick(main_context);
  schedule_tick(tick, broker);
  main_context.run();

  server.stop([&broker] { broker.shutdown(); });
  log->info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  app::CommandLine flags;
  if (auto exit_code = app::parse_command_line(argc, argv, flags)) {
    return *exit_code;
  }
  app::AppConfig config;
  try {
    std::optional<app::FileConfig> file;
    if (flags.config_file) {
      file = app::load_config_file(*flags.config_file);
    }
    config = app::resolve_config(flags, file);
  } catch (const app::ConfigError& error) {
    std::cerr << "arkmq-broker: config error: " << error.what() << std::endl;
    return 2;
  }
  try {
    return run(config);
  } catch (const app::ConfigError& error) {
    std::cerr << "arkmq-broker: config error: " << error.what() << std::endl;
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "arkmq-broker: " << error.what() << std::endl;
    return 1;
  }
}
