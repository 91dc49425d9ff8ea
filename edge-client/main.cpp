// arkmq-edge: `arkmq-edge --config FILE` runs the edge bridge; `--check-config FILE` validates a
// file; `arkmq-edge status --config FILE` prints the running edge's status (docs/edge.md).
#include <signal.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "edge-client/edge_config.hpp"
#include "edge-client/edge_node.hpp"
#include "edge-client/status.hpp"
#include "edge-client/status_command.hpp"
#include "broker/app/systemd_notify.hpp"  // header + one dependency-free .cpp (ops-package)

namespace {

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals in every thread (Paho's included); main waits for them with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  CLI::App app{"arkmq-edge: the arkmq edge bridge"};
  std::string config_path;
  std::string check_path;
  std::string log_level = "info";
  bool as_json = false;
  app.add_option("-c,--config", config_path, "configuration file (TOML)");
  app.add_option("--check-config", check_path, "validate a configuration file and exit");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  auto* status_cmd = app.add_subcommand("status", "show the running edge's link, services and outbox");
  status_cmd->add_option("-c,--config", config_path, "configuration file (TOML)")->required();
  status_cmd->add_flag("--json", as_json, "print the raw status JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  spdlog::set_level(spdlog::level::from_str(log_level));

  if (!check_path.empty()) {
    auto config = arkmq::edge::load_config_file(check_path);
    if (!config) {
      std::cerr << config.error() << "\n";
      return 2;
    }
    std::cout << arkmq::edge::config_summary(*config) << std::endl;
    return 0;
  }
  if (config_path.empty()) {
    std::cerr << "arkmq-edge: --config FILE is required (or --check-config FILE)\n";
    return 2;
  }
  auto config = arkmq::edge::load_config_file(config_path);
  if (!config) {
    std::cerr << config.error() << "\n";
    return 2;
  }
  if (status_cmd->parsed()) {
    auto status = arkmq::edge::fetch_status(config->local, std::chrono::seconds(5));
    if (!status) {
      std::cerr << "arkmq-edge: no status on " << config->local.status_topic
                << " at the local broker (is arkmq-edge running?)\n";
      return 1;
    }
    std::cout << (as_json ? *status + "\n" : arkmq::edge::status_text(*status));
    return 0;
  }
  try {
    arkmq::edge::EdgeNode node(std::move(*config));
    node.start();
    spdlog::info("arkmq-edge running");
    // The links are set up (the cloud link keeps reconnecting on its own), so systemd may go on.
    arkmq::app::systemd_notify("READY=1\nSTATUS=running");
    const int sig = wait_for_signal();
    spdlog::info("arkmq-edge stopping (signal {})", sig);
    arkmq::app::systemd_notify("STOPPING=1");
    node.stop();
  } catch (const std::exception& error) {
    std::cerr << "arkmq-edge: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
