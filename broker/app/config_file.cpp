// The TOML config file (toml++): every key is known, typed and range-checked, and every error
// names file:line:column. Errors are collected, not thrown at the first: one bad key costs only
// that key, so an operator sees every mistake of a file at once. See docs/configuration.md.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <map>

#include <toml++/toml.h>

#include "broker/app/app_config.hpp"
#include "broker/app/config_check.hpp"
#include "broker/app/config_reader.hpp"
#include "broker/app/config_values.hpp"
#include "broker/app/flow_control_config.hpp"
#include "broker/app/log_http_config.hpp"
#include "broker/protocol/topic.hpp"

namespace arkmq::app {

namespace {

FileListener read_listener(const ConfigReader& reader, const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    reader.fail(node, "each [[listener]] must be a table");
  }
  FileListener out;
  out.where = reader.where(node);
  const auto text = [&](std::optional<std::string>& field, std::string_view key) {
    return [&reader, &field, key](const toml::node& value) { field = reader.string(value, key); };
  };
  const std::map<std::string, KeyHandler, std::less<>> handlers{
      {"url", [&](const toml::node& value) { out.url = reader.string(value, "url"); }},
      {"tls_cert", text(out.tls_cert, "tls_cert")},
      {"tls_key", text(out.tls_key, "tls_key")},
      {"tls_ca", text(out.tls_ca, "tls_ca")},
      {"tls_crl", text(out.tls_crl, "tls_crl")},
      {"tls_ciphers", text(out.tls_ciphers, "tls_ciphers")},
      {"tls_ciphersuites", text(out.tls_ciphersuites, "tls_ciphersuites")},
      {"require_client_cert",
       [&](const toml::node& value) {
         out.require_client_cert = reader.boolean(value, "require_client_cert");
       }},
      {"allow_anonymous",
       [&](const toml::node& value) {
         out.allow_anonymous = reader.boolean(value, "allow_anonymous");
       }},
      {"require_password",
       [&](const toml::node& value) {
         out.require_password = reader.boolean(value, "require_password");
       }},
      {"tls_identity",
       [&](const toml::node& value) {
         const auto identity = parse_tls_identity(reader.string(value, "tls_identity"));
         if (!identity) {
           reader.fail(value, "'tls_identity' must be \"cn\", \"san-dns\", \"san-email\" or \"san-uri\"");
         }
         out.tls_identity = identity;
       }},
  };
  read_table(reader, *table, handlers, " in [[listener]]");
  if (out.url.empty()) {
    reader.fail(node, "[[listener]] needs a 'url'");
  }
  return out;
}

FileAudit read_audit(const ConfigReader& reader, const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    reader.fail(node, "'audit' must be a table ([audit])");
  }
  FileAudit out;
  const std::map<std::string, KeyHandler, std::less<>> handlers{
      {"enabled",
       [&](const toml::node& value) {
         out.enabled = reader.boolean(value, "enabled");
         out.enabled_where = reader.where(value);
       }},
      {"publishes",
       [&](const toml::node& value) {
         const std::string text = reader.string(value, "publishes");
         if (text != "all" && text != "summary" && text != "none") {
           reader.fail(value, "'publishes' must be \"all\", \"summary\" or \"none\"");
         }
         out.publishes = text == "all"       ? AuditPublishes::all
                         : text == "summary" ? AuditPublishes::summary
                                             : AuditPublishes::none;
       }},
      {"capture_payloads",
       [&](const toml::node& value) {
         const auto* array = value.as_array();
         if (array == nullptr) {
           reader.fail(value, "'capture_payloads' must be an array of topic filters");
         }
         std::vector<std::string> filters;
         for (const auto& element : *array) {
           std::string filter = reader.string(element, "capture_payloads");
           if (!protocol::is_valid_topic_filter(filter)) {
             reader.fail(element, "'capture_payloads': '" + filter + "' is not a valid topic filter");
           }
           filters.push_back(std::move(filter));
         }
         out.capture_payloads = std::move(filters);
       }},
      {"queue_capacity",
       [&](const toml::node& value) {
         out.queue_capacity = reader.integer<std::size_t>(value, "queue_capacity", 1, 16777216);
       }},
      {"overflow",
       [&](const toml::node& value) {
         const std::string text = reader.string(value, "overflow");
         if (text != "drop" && text != "block") {
           reader.fail(value, "'overflow' must be \"drop\" or \"block\"");
         }
         out.overflow = text == "drop" ? AuditOverflow::drop : AuditOverflow::block;
       }},
      {"max_age_days",
       [&](const toml::node& value) {
         out.max_age_days = reader.integer<std::int64_t>(value, "max_age_days", 0, 365000);
       }},
      {"max_rows",
       [&](const toml::node& value) {
         const auto rows = reader.integer<std::int64_t>(value, "max_rows", 0);
         if (rows == 1) {
           reader.fail(value, "'max_rows' must be 0 (no limit) or at least 2");
         }
         out.max_rows = rows;
       }},
  };
  read_table(reader, *table, handlers, " in [audit]");
  return out;
}

FilePersistence read_persistence(const ConfigReader& reader, const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    reader.fail(node, "'persistence' must be a table ([persistence])");
  }
  FilePersistence out;
  const std::map<std::string, KeyHandler, std::less<>> handlers{
      {"enabled",
       [&](const toml::node& value) {
         out.enabled = reader.boolean(value, "enabled");
         out.enabled_where = reader.where(value);
       }},
      {"synchronous",
       [&](const toml::node& value) {
         const std::string text = reader.string(value, "synchronous");
         if (text != "full" && text != "normal") {
           reader.fail(value, "'synchronous' must be \"full\" or \"normal\"");
         }
         out.synchronous = text == "full" ? PersistenceSync::full : PersistenceSync::normal;
       }},
  };
  read_table(reader, *table, handlers, " in [persistence]");
  return out;
}

// read_flow_control and read_services stop at their table's first error. To report every one,
// after a failure the table's keys are dropped from the front, one at a time, and the rest is
// read again (into scratch values: the file is refused anyway); a key's error repeats until the
// key itself is dropped, so repeats are skipped. Tables are small.
template <class Read, class ReadScratch>
void read_every_error(const ConfigReader& reader, toml::node& node, Read read, ReadScratch read_scratch) {
  std::vector<std::string> seen;
  const auto failed = [&](const ConfigError& error) {
    if (std::find(seen.begin(), seen.end(), error.what()) == seen.end()) {
      seen.emplace_back(error.what());
      reader.report(error.what());
    }
  };
  try {
    read(node);
    return;
  } catch (const ConfigError& error) {
    failed(error);
  }
  auto* table = node.as_table();
  while (table != nullptr && !table->empty()) {
    table->erase(table->begin());
    try {
      read_scratch(node);
      return;
    } catch (const ConfigError& error) {
      failed(error);
    }
  }
}

FileConfig read_config(toml::table& root, const ConfigReader& reader, std::string& data_dir_where) {
  FileConfig out;
  std::optional<FileLog> log;
  const toml::node* log_level_node = nullptr;
  auto& broker = out.broker;
  using Handlers = std::map<std::string, KeyHandler, std::less<>>;
  const auto flag = [&](bool& field, std::string_view key) {
    return [&reader, &field, key](const toml::node& value) { field = reader.boolean(value, key); };
  };
  const Handlers handlers{
      {"allow_anonymous", flag(broker.allow_anonymous, "allow_anonymous")},
      {"acl_default",
       [&](const toml::node& value) {
         const auto decision = parse_acl_default(reader.string(value, "acl_default"));
         if (!decision) {
           reader.fail(value, "'acl_default' must be \"allow\" or \"deny\"");
         }
         broker.acl_default = *decision;
       }},
      {"max_packet_size",
       [&](const toml::node& value) {
         broker.max_packet_size = reader.integer<std::uint32_t>(value, "max_packet_size", 64, 268435460);
       }},
      {"receive_maximum",
       [&](const toml::node& value) {
         broker.receive_maximum = reader.integer<std::uint16_t>(value, "receive_maximum", 1, 65535);
       }},
      {"topic_alias_maximum",
       [&](const toml::node& value) {
         broker.topic_alias_maximum = reader.integer<std::uint16_t>(value, "topic_alias_maximum", 0, 65535);
       }},
      {"max_keep_alive",
       [&](const toml::node& value) {
         broker.max_keep_alive = reader.integer<std::uint16_t>(value, "max_keep_alive", 0, 65535);
       }},
      {"max_session_expiry",
       [&](const toml::node& value) {
         broker.max_session_expiry = reader.integer<std::uint32_t>(value, "max_session_expiry", 0, 4294967295);
       }},
      {"maximum_qos",
       [&](const toml::node& value) {
         broker.maximum_qos = reader.integer<std::uint8_t>(value, "maximum_qos", 0, 2);
       }},
      {"retain_available", flag(broker.retain_available, "retain_available")},
      {"wildcard_subscriptions", flag(broker.wildcard_subscriptions, "wildcard_subscriptions")},
      {"subscription_identifiers", flag(broker.subscription_identifiers, "subscription_identifiers")},
      {"shared_subscriptions", flag(broker.shared_subscriptions, "shared_subscriptions")},
      {"max_client_id_length",
       [&](const toml::node& value) {
         broker.max_client_id_length = reader.integer<std::size_t>(value, "max_client_id_length", 23, 65535);
       }},
      {"max_queued_messages",
       [&](const toml::node& value) {
         broker.max_queued_messages = reader.integer<std::size_t>(value, "max_queued_messages", 0);
       }},
      {"max_queued_bytes",
       [&](const toml::node& value) {
         broker.max_queued_bytes = reader.integer<std::size_t>(value, "max_queued_bytes", 0);
       }},
      {"max_link_buffer_bytes",
       [&](const toml::node& value) {
         broker.max_link_buffer_bytes = reader.integer<std::size_t>(value, "max_link_buffer_bytes", 1024);
       }},
      {"v311_inflight_window",
       [&](const toml::node& value) {
         broker.v311_inflight_window = reader.integer<std::uint16_t>(value, "v311_inflight_window", 1, 65535);
       }},
      {"max_connections",
       [&](const toml::node& value) {
         broker.max_connections = reader.integer<std::size_t>(value, "max_connections", 0);
       }},
      {"connect_timeout",
       [&](const toml::node& value) {
         broker.connect_timeout = std::chrono::seconds(reader.integer<std::int64_t>(value, "connect_timeout", 1, 3600));
       }},
      {"sys_interval",
       [&](const toml::node& value) {
         broker.sys_interval = std::chrono::seconds(reader.integer<std::int64_t>(value, "sys_interval", 0, 86400));
       }},
      {"log_level",
       [&](const toml::node& value) {
         auto level = reader.string(value, "log_level");
         if (!is_log_level(level)) {
           reader.fail(value, "'log_level' must be one of trace, debug, info, warn, error");
         }
         out.log_level = level;
         log_level_node = &value;
       }},
      {"log", [&](const toml::node& value) { log = read_log(reader, value); }},
      {"http", [&](const toml::node& value) { out.http = read_http(reader, value); }},
      {"data_dir",
       [&](const toml::node& value) {
         out.data_dir = reader.string(value, "data_dir");
         data_dir_where = reader.where(value);
       }},
      {"client_id_pattern",
       [&](const toml::node& value) {
         out.client_id_pattern = reader.string(value, "client_id_pattern");
       }},
      {"workers",
       [&](const toml::node& value) { out.workers = reader.integer<std::size_t>(value, "workers", 0, 1024); }},
      {"shutdown_grace_ms",
       [&](const toml::node& value) {
         out.shutdown_grace = std::chrono::milliseconds(
             reader.integer<std::int64_t>(value, "shutdown_grace_ms", 0, 600000));
       }},
      {"audit", [&](const toml::node& value) { out.audit = read_audit(reader, value); }},
      {"flow_control",
       [&](const toml::node&) {
         read_every_error(
             reader, *root.get("flow_control"),
             [&](const toml::node& value) { read_flow_control(value, out.connection_rate, broker); },
             [](const toml::node& value) {
               net::ConnectionRateSettings rate;
               core::BrokerConfig scratch;
               read_flow_control(value, rate, scratch);
             });
       }},
      {"services",
       [&](const toml::node&) {
         read_every_error(
             reader, *root.get("services"),
             [&](const toml::node& value) { read_services(value, out.services); },
             [](const toml::node& value) {
               ServicesConfig scratch;
               read_services(value, scratch);
             });
       }},
      {"persistence",
       [&](const toml::node& value) { out.persistence = read_persistence(reader, value); }},
      {"listener",
       [&](const toml::node& value) {
         const auto* array = value.as_array();
         if (array == nullptr) {
           reader.fail(value, "'listener' must be written as [[listener]] tables");
         }
         for (const auto& element : *array) {
           reader.attempt([&] { out.listeners.push_back(read_listener(reader, element)); });
         }
       }},
  };
  read_table(reader, root, handlers, "");
  if (log) {
    if (log->level_set && log_level_node != nullptr) {
      reader.attempt([&] {
        reader.fail(*log_level_node, "'log_level' and [log] 'level' are both set; keep one");
      });
    } else if (out.log_level) {
      log->config.level = *out.log_level;  // the top-level key is [log]'s level
    }
    out.log = std::move(log->config);
  }
  return out;
}

}  // namespace

void sort_by_position(std::vector<std::string>& errors, const std::string& source_name) {
  const auto position = [&source_name](const std::string& error) {
    std::pair<long, long> at{0, 0};
    if (error.starts_with(source_name + ":")) {
      char* end = nullptr;
      at.first = std::strtol(error.c_str() + source_name.size() + 1, &end, 10);
      if (end != nullptr && *end == ':') {
        at.second = std::strtol(end + 1, nullptr, 10);
      }
    }
    return at;
  };
  std::stable_sort(errors.begin(), errors.end(),
                   [&](const auto& a, const auto& b) { return position(a) < position(b); });
}

namespace {

// One ConfigError holding every message, one per line.
[[noreturn]] void throw_all(const std::vector<std::string>& errors) {
  std::string text;
  for (const auto& error : errors) {
    text += (text.empty() ? "" : "\n") + error;
  }
  throw ConfigError(text);
}

}  // namespace

ParsedConfig read_config_text(std::string_view text, const std::string& source_name) {
  ParsedConfig parsed;
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    // Past a syntax error nothing is known for sure: that one message is all.
    const auto& begin = error.source().begin;
    parsed.errors.push_back(source_name + ":" + std::to_string(begin.line) + ":" +
                            std::to_string(begin.column) + ": " + std::string(error.description()));
    return parsed;
  }
  parsed.file = read_config(root, ConfigReader(source_name, parsed.errors), parsed.data_dir_where);
  // Tables are read in key order; the operator reads the file top to bottom.
  sort_by_position(parsed.errors, source_name);
  return parsed;
}

ParsedConfig read_config_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (!file.is_open() || file.bad()) {
    ParsedConfig parsed;
    parsed.errors.push_back(path + ": cannot read the config file");
    return parsed;
  }
  return read_config_text(text, path);
}

FileConfig parse_config_text(std::string_view text, const std::string& source_name) {
  ParsedConfig parsed = read_config_text(text, source_name);
  if (!parsed.errors.empty()) {
    throw_all(parsed.errors);
  }
  return std::move(*parsed.file);
}

FileConfig load_config_file(const std::string& path) {
  ParsedConfig parsed = read_config_file(path);
  if (!parsed.errors.empty()) {
    throw_all(parsed.errors);
  }
  return std::move(*parsed.file);
}

}  // namespace arkmq::app
