// Merging the command line over the config file, and the checks that need the whole picture:
// listener URLs, TLS files and TLS settings (an OpenSSL context is built once as a dry run).
#include <fstream>

#include "broker/app/app_config.hpp"
#include "broker/net/listen_url.hpp"
#include "broker/net/tls_context.hpp"

namespace arkmq::app {

namespace {

void require_readable(const std::string& where, const char* what, const std::string& path) {
  if (!std::ifstream(path)) {
    throw ConfigError(where + ": " + what + " file '" + path + "' cannot be read");
  }
}

ListenerConfig resolve_listener(const FileListener& listener, const CommandLine& flags,
                                bool allow_anonymous) {
  const std::string where = listener.where.empty() ? "listener " + listener.url
                                                   : listener.where + ": listener " + listener.url;
  auto url = net::parse_listen_url(listener.url);
  if (!url) {
    throw ConfigError((listener.where.empty() ? "" : listener.where + ": ") + url.error());
  }
  ListenerConfig out{listener.url, {}, {}};
  out.policy.allow_anonymous = listener.allow_anonymous.value_or(allow_anonymous);
  const bool has_tls_keys = listener.tls_cert || listener.tls_key || listener.tls_ca ||
                            listener.tls_crl || listener.require_client_cert ||
                            listener.tls_identity || listener.tls_ciphers || listener.tls_ciphersuites;
  if (!url->tls) {
    if (has_tls_keys) {
      throw ConfigError(where + ": TLS settings on an mqtt:// listener (use mqtts://)");
    }
    if (listener.require_password) {
      // Without TLS there is no certificate, so every login is by password already.
      throw ConfigError(where + ": require_password is for mqtts:// listeners (it asks certificate "
                                "clients for a password too)");
    }
    return out;
  }
  out.policy.require_password = listener.require_password.value_or(false);

  auto& tls = out.tls;
  tls.cert_file = listener.tls_cert.value_or(flags.tls_cert.value_or(""));
  tls.key_file = listener.tls_key.value_or(flags.tls_key.value_or(""));
  tls.ca_file = listener.tls_ca.value_or(flags.tls_ca.value_or(""));
  tls.crl_file = listener.tls_crl.value_or("");
  tls.identity = listener.tls_identity.value_or(net::TlsIdentity::cn);
  tls.ciphers = listener.tls_ciphers.value_or("");
  tls.ciphersuites = listener.tls_ciphersuites.value_or("");
  const bool required = flags.require_client_cert || listener.require_client_cert.value_or(false);
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    throw ConfigError(where + ": an mqtts:// listener needs a certificate and key "
                              "(tls_cert/tls_key, or --tls-cert/--tls-key)");
  }
  if (required && tls.ca_file.empty()) {
    throw ConfigError(where + ": require_client_cert needs a CA (tls_ca or --tls-ca)");
  }
  if (!tls.crl_file.empty() && tls.ca_file.empty()) {
    throw ConfigError(where + ": tls_crl needs a CA (tls_ca or --tls-ca)");
  }
  // With a CA, client certificates are asked for (and must verify when presented).
  tls.client_certs = required            ? net::ClientCertMode::required
                     : tls.ca_file.empty() ? net::ClientCertMode::none
                                           : net::ClientCertMode::optional;
  require_readable(where, "tls_cert", tls.cert_file);
  require_readable(where, "tls_key", tls.key_file);
  if (!tls.ca_file.empty()) {
    require_readable(where, "tls_ca", tls.ca_file);
  }
  if (!tls.crl_file.empty()) {
    require_readable(where, "tls_crl", tls.crl_file);
  }
  if (auto context = net::make_server_tls_context(tls); !context) {
    throw ConfigError(where + ": " + context.error());
  }
  return out;
}

// The journal lives in the data directory: on by default with one, off without.
void resolve_audit(const std::optional<FileAudit>& file, AppConfig& out) {
  AuditConfig& audit = out.audit;
  audit.enabled = !out.data_dir.empty();
  if (!file) {
    return;
  }
  if (file->enabled) {
    if (*file->enabled && out.data_dir.empty()) {
      throw ConfigError(file->enabled_where + ": [audit] enabled = true needs a data_dir (the "
                                              "journal is <data_dir>/audit.db)");
    }
    audit.enabled = *file->enabled;
  }
  audit.publishes = file->publishes.value_or(audit.publishes);
  audit.capture_payloads = file->capture_payloads.value_or(audit.capture_payloads);
  audit.queue_capacity = file->queue_capacity.value_or(audit.queue_capacity);
  audit.overflow = file->overflow.value_or(audit.overflow);
  audit.max_age_days = file->max_age_days.value_or(audit.max_age_days);
  audit.max_rows = file->max_rows.value_or(audit.max_rows);
}

// Durable state (state.db) lives in the data directory too: on by default with one.
void resolve_persistence(const std::optional<FilePersistence>& file, AppConfig& out) {
  PersistenceConfig& persistence = out.persistence;
  persistence.enabled = !out.data_dir.empty();
  if (!file) {
    return;
  }
  if (file->enabled) {
    if (*file->enabled && out.data_dir.empty()) {
      throw ConfigError(file->enabled_where + ": [persistence] enabled = true needs a data_dir "
                                              "(the state is kept in <data_dir>/state.db)");
    }
    persistence.enabled = *file->enabled;
  }
  persistence.synchronous = file->synchronous.value_or(persistence.synchronous);
}

}  // namespace

AppConfig resolve_config(const CommandLine& flags, const std::optional<FileConfig>& file) {
  AppConfig out;
  std::vector<FileListener> listeners;
  if (file) {
    out.broker = file->broker;
    listeners = file->listeners;
    out.log = file->log.value_or(out.log);  // [log]; its level is the top-level log_level too
    out.log.level = file->log_level.value_or(out.log.level);
    out.http = file->http.value_or(out.http);
    out.data_dir = file->data_dir.value_or("");
    out.workers = file->workers.value_or(0);
    out.shutdown_grace = file->shutdown_grace.value_or(out.shutdown_grace);
    out.client_id_pattern = file->client_id_pattern.value_or("");
    out.connection_rate = file->connection_rate;
    out.services = file->services;
  }
  if (flags.allow_anonymous) {
    out.broker.allow_anonymous = true;
  }
  if (flags.acl_default) {
    out.broker.acl_default = *flags.acl_default;
  }
  if (flags.log_level) {
    out.log.level = *flags.log_level;  // the flag wins over the file
  }
  out.log_level = out.log.level;  // kept equal: log_level is the default module level
  if (flags.data_dir) {
    out.data_dir = *flags.data_dir;
  }
  if (flags.workers) {
    out.workers = *flags.workers;
  }
  if (!flags.listen.empty()) {
    listeners.clear();
    for (const auto& url : flags.listen) {
      FileListener listener;
      listener.url = url;
      listeners.push_back(std::move(listener));
    }
  }
  if (listeners.empty()) {
    FileListener listener;
    listener.url = kDefaultListener;
    listeners.push_back(std::move(listener));
  }
  for (const auto& listener : listeners) {
    out.listeners.push_back(resolve_listener(listener, flags, out.broker.allow_anonymous));
  }
  resolve_audit(file ? file->audit : std::nullopt, out);
  resolve_persistence(file ? file->persistence : std::nullopt, out);
  return out;
}

}  // namespace arkmq::app
