// The command line (CLI11). Usage errors are one line and exit code 2, like config errors.
#include <iostream>

#include <CLI/CLI.hpp>

#include "broker/app/app_config.hpp"
#include "broker/app/config_values.hpp"

namespace arkmq::app {

std::optional<int> parse_command_line(int argc, const char* const* argv, CommandLine& out) {
  CLI::App app{"arkmq-broker: an MQTT 3.1.1 and 5.0 broker", "arkmq-broker"};
  app.set_version_flag("--version", core::BrokerConfig{}.version);

  std::string config_file;
  std::string data_dir;
  std::string acl_default;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::string log_level;
  std::size_t workers = 0;
  auto* config = app.add_option("-c,--config", config_file, "TOML config file")
                     ->check(CLI::ExistingFile);
  std::string check_config;
  // No ExistingFile check: a missing file is one of the errors the check reports (exit 1).
  app.add_option("--check-config", check_config,
                 "Check FILE (every error with its line, exit 1; or 'configuration OK', exit 0) "
                 "without binding or creating anything")
      ->option_text("FILE")
      ->excludes(config);
  app.add_option("--listen", out.listen,
                 "Listener URL, mqtt://HOST:PORT or mqtts://HOST:PORT; repeatable; replaces the "
                 "file's listeners");
  app.add_option("--data-dir", data_dir, "Data directory (created with mode 0700)");
  app.add_flag("--allow-anonymous", out.allow_anonymous, "Accept clients without credentials");
  app.add_option("--acl-default", acl_default,
                 "Decision when no ACL rule matches (default deny); the last one given wins")
      ->check(CLI::IsMember({"allow", "deny"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  auto* cert = app.add_option("--tls-cert", tls_cert, "Server certificate chain (PEM) for mqtts://");
  auto* key = app.add_option("--tls-key", tls_key, "Server private key (PEM) for mqtts://");
  app.add_option("--tls-ca", tls_ca, "CA (PEM) that verifies client certificates");
  cert->needs(key);
  key->needs(cert);
  app.add_flag("--require-client-cert", out.require_client_cert,
               "mqtts:// clients must present a certificate that verifies against --tls-ca");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--workers", workers, "Worker threads (0: one per hardware thread)")
      ->check(CLI::Range(0, 1024));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "arkmq-broker: " << e.what() << " (see --help)" << std::endl;
    return 2;
  }

  const auto set = [&app](const char* name) { return app.count(name) > 0; };
  if (set("--config")) {
    out.config_file = config_file;
  }
  if (set("--data-dir")) {
    out.data_dir = data_dir;
  }
  if (set("--acl-default")) {
    out.acl_default = parse_acl_default(acl_default);
  }
  if (set("--tls-cert")) {
    out.tls_cert = tls_cert;
  }
  if (set("--tls-key")) {
    out.tls_key = tls_key;
  }
  if (set("--tls-ca")) {
    out.tls_ca = tls_ca;
  }
  if (set("--log-level")) {
    out.log_level = log_level;
  }
  if (set("--workers")) {
    out.workers = workers;
  }
  if (set("--check-config")) {
    out.check_config = check_config;
  }
  return std::nullopt;
}

}  // namespace arkmq::app
