// The broker process's configuration: what the TOML file and the command line can say, and the
// resolved result main() runs with. Built once at startup on the main thread; errors throw
// ConfigError (one line per error, each naming the file/line or flag), which main turns into
// exit code 2.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/core/broker_config.hpp"
#include "broker/core/connection_info.hpp"
#include "broker/net/connection_rate_limiter.hpp"
#include "broker/net/tls_settings.hpp"
#include "broker/app/logging.hpp"
#include "broker/app/service_config.hpp"

namespace arkmq::app {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A listener as written in the file; unset TLS fields fall back to the --tls-* flags.
struct FileListener {
  std::string url;
  std::string where;  // "arkmq.toml:12:1", for errors about this listener
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_crl;
  std::optional<bool> require_client_cert;
  std::optional<net::TlsIdentity> tls_identity;
  std::optional<std::string> tls_ciphers;
  std::optional<std::string> tls_ciphersuites;
  std::optional<bool> allow_anonymous;   // default: the top-level allow_anonymous
  std::optional<bool> require_password;  // mqtts:// only; default false
};

// The [audit] table as written in the file (see docs/configuration.md).
// summary: one publish row per (client, topic, QoS, retain, ...) and second, with the count
// (docs/audit.md, the decision "publishes = summary"); all: one row per accepted PUBLISH.
enum class AuditPublishes { all, summary, none };
enum class AuditOverflow { drop, block };

struct FileAudit {
  std::optional<bool> enabled;
  std::string enabled_where;  // "arkmq.toml:30:1", for "enabled without data_dir"
  std::optional<AuditPublishes> publishes;
  std::optional<std::vector<std::string>> capture_payloads;  // valid topic filters
  std::optional<std::size_t> queue_capacity;
  std::optional<AuditOverflow> overflow;
  std::optional<std::int64_t> max_age_days;
  std::optional<std::int64_t> max_rows;
};

// The journal settings main() runs with.
struct AuditConfig {
  bool enabled = false;  // on by default when there is a data_dir
  AuditPublishes publishes = AuditPublishes::summary;
  std::vector<std::string> capture_payloads;
  std::size_t queue_capacity = 65536;
  AuditOverflow overflow = AuditOverflow::drop;
  std::int64_t max_age_days = 0;  // 0: keep forever
  std::int64_t max_rows = 0;      // 0: no row limit
};

// The [persistence] table (see docs/persistence.md): state.db in the data directory.
enum class PersistenceSync { full, normal };

struct FilePersistence {
  std::optional<bool> enabled;
  std::string enabled_where;  // "arkmq.toml:40:1", for "enabled without data_dir"
  std::optional<PersistenceSync> synchronous;
};

struct PersistenceConfig {
  bool enabled = false;  // on by default when there is a data_dir
  PersistenceSync synchronous = PersistenceSync::full;
};

// [http] (docs/operations.md): the operators' HTTP listener for /metrics and the status page.
// Off by default; loopback only unless allow_non_loopback (it has no authentication).
struct HttpConfig {
  std::string listen;        // "http://127.0.0.1:9090"; empty: off
  bool status_page = true;   // "/" and "/api/status" besides "/metrics"
  bool allow_non_loopback = false;
};

struct FileConfig {
  core::BrokerConfig broker;  // defaults for every key the file does not set
  std::vector<FileListener> listeners;
  std::optional<std::string> log_level;
  std::optional<std::string> data_dir;
  std::optional<std::size_t> workers;
  std::optional<std::chrono::milliseconds> shutdown_grace;  // shutdown_grace_ms
  std::optional<std::string> client_id_pattern;
  std::optional<FileAudit> audit;
  std::optional<FilePersistence> persistence;
  net::ConnectionRateSettings connection_rate;  // [flow_control] (memory budget: in `broker`)
  ServicesConfig services;  // [services] (service_config.hpp)
  std::optional<HttpConfig> http;  // [http]
  std::optional<LogConfig> log;    // [log]; the top-level log_level is its `level`
};

struct CommandLine {
  std::optional<std::string> config_file;
  std::vector<std::string> listen;
  std::optional<std::string> data_dir;
  bool allow_anonymous = false;
  std::optional<core::AclDefault> acl_default;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> tls_ca;
  bool require_client_cert = false;
  std::optional<std::string> log_level;
  std::optional<std::size_t> workers;
  std::optional<std::string> check_config;  // --check-config FILE: check, print, exit (0 or 1)
};

struct ListenerConfig {
  std::string url;
  net::TlsSettings tls;  // meaningful for mqtts:// only
  core::ListenerPolicy policy;
};

struct AppConfig {
  core::BrokerConfig broker;
  std::vector<ListenerConfig> listeners;
  std::string log_level = "info";
  std::string data_dir;      // empty: no data directory
  std::size_t workers = 0;   // 0: one per hardware thread
  // Graceful stop: how long the broker drains (Broker::drain) before closing; 0: close at once.
  std::chrono::milliseconds shutdown_grace{2000};
  // Broker-wide client-id binding ("%u-*"); "" = any client id. A user's own pattern wins.
  std::string client_id_pattern;
  AuditConfig audit;
  PersistenceConfig persistence;
  net::ConnectionRateSettings connection_rate;  // per source address; on by default
  ServicesConfig services;  // call rates and bounds of $svc/ (service_config.hpp)
  HttpConfig http;  // [http]: /metrics and the status page (off by default)
  LogConfig log;    // [log]: format and levels per module; log.level mirrors log_level
};

inline constexpr const char* kDefaultListener = "mqtt://127.0.0.1:1883";

// The TOML file. Unknown keys, wrong types and out-of-range values are errors; every one of a
// file is in the ConfigError, one per line (config_check.hpp has them as a list).
FileConfig load_config_file(const std::string& path);
FileConfig parse_config_text(std::string_view text, const std::string& source_name);

// Flags over the file (a --listen replaces the file's listeners); URLs, log level and TLS
// files are checked here, so a bad setting fails before anything binds.
AppConfig resolve_config(const CommandLine& flags, const std::optional<FileConfig>& file);

// Parses argv with CLI11. Returns an exit code when the process should end now (--help,
// --version: 0, after printing; a usage error: 2, after one line on stderr).
std::optional<int> parse_command_line(int argc, const char* const* argv, CommandLine& out);

}  // namespace arkmq::app
