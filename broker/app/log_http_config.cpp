// [http] and [log] tables of the config file; see log_http_config.hpp and docs/configuration.md.
#include "broker/app/log_http_config.hpp"

#include <algorithm>

#include <asio/ip/address.hpp>

#include "broker/app/config_values.hpp"
#include "broker/net/listen_url.hpp"

namespace arkmq::app {

namespace {

// [http] listen: "http://HOST:PORT" with an address literal (or localhost), like a listener's URL.
// Returns the error sentence, or "" when the URL is good; `loopback` says where it binds.
std::string check_http_url(const std::string& url, bool& loopback) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) {
    return "invalid [http] listen URL '" + url + "': the scheme must be http://";
  }
  const auto parsed = net::parse_listen_url("mqtt://" + url.substr(scheme.size()));
  if (!parsed) {
    // parse_listen_url names the URL it was given; keep only its reason.
    const std::string& error = parsed.error();
    const auto reason = error.find("': ");
    return "invalid [http] listen URL '" + url + "': " +
           (reason == std::string::npos ? error : error.substr(reason + 3));
  }
  std::error_code ignored;
  loopback = asio::ip::make_address(parsed->host, ignored).is_loopback();
  return "";
}

}  // namespace

HttpConfig read_http(const ConfigReader& reader, const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    reader.fail(node, "'http' must be a table ([http])");
  }
  HttpConfig out;
  const toml::node* listen_node = nullptr;
  const std::map<std::string, KeyHandler, std::less<>> handlers{
      {"listen",
       [&](const toml::node& value) {
         out.listen = reader.string(value, "listen");
         listen_node = &value;
       }},
      {"status_page",
       [&](const toml::node& value) { out.status_page = reader.boolean(value, "status_page"); }},
      {"allow_non_loopback",
       [&](const toml::node& value) {
         out.allow_non_loopback = reader.boolean(value, "allow_non_loopback");
       }},
  };
  read_table(reader, *table, handlers, " in [http]");
  if (listen_node != nullptr && !out.listen.empty()) {
    bool loopback = true;
    if (auto error = check_http_url(out.listen, loopback); !error.empty()) {
      reader.fail(*listen_node, error);
    }
    if (!loopback && !out.allow_non_loopback) {
      // The endpoint has no authentication: exposing it is a decision, not a default.
      reader.fail(*listen_node, "[http] listen '" + out.listen +
                                    "' is not a loopback address; set allow_non_loopback = true "
                                    "to serve it beyond this machine");
    }
  }
  return out;
}

namespace {

// [log] levels: the top-level log_level's, plus "off".
bool is_log_table_level(std::string_view text) { return is_log_level(text) || text == "off"; }

constexpr const char* kLogLevels = "trace, debug, info, warn, error, off";

}  // namespace

FileLog read_log(const ConfigReader& reader, const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    reader.fail(node, "'log' must be a table ([log])");
  }
  FileLog out;
  LogConfig& log = out.config;
  const std::map<std::string, KeyHandler, std::less<>> handlers{
      {"level",
       [&](const toml::node& value) {
         const std::string level = reader.string(value, "level");
         if (!is_log_table_level(level)) {
           reader.fail(value, "'level' must be one of " + std::string(kLogLevels));
         }
         log.level = level;
         out.level_set = true;
       }},
      {"format",
       [&](const toml::node& value) {
         const std::string format = reader.string(value, "format");
         if (format != "text" && format != "json") {
           reader.fail(value, "'format' must be \"text\" or \"json\"");
         }
         log.format = format == "json" ? LogFormat::json : LogFormat::text;
       }},
      {"payloads",
       [&](const toml::node& value) { log.payloads = reader.boolean(value, "payloads"); }},
      {"modules",
       [&](const toml::node& value) {
         const auto* modules = value.as_table();
         if (modules == nullptr) {
           reader.fail(value, "'modules' must be a table ([log.modules])");
         }
         for (auto&& [key, level_node] : *modules) {
           reader.attempt([&, &key = key, &level_node = level_node] {
             const std::string name(key.str());
             if (std::find(kLogModules.begin(), kLogModules.end(), name) == kLogModules.end()) {
               std::string known;
               for (const auto module : kLogModules) {
                 known += (known.empty() ? "" : ", ") + std::string(module);
               }
               reader.fail(key, "unknown module '" + name + "' in [log.modules] (modules: " +
                                    known + ")");
             }
             const std::string level = reader.string(level_node, name);
             if (!is_log_table_level(level)) {
               reader.fail(level_node, "[log.modules] '" + name + "' must be one of " +
                                           std::string(kLogLevels));
             }
             log.modules[name] = level;
           });
         }
       }},
  };
  read_table(reader, *table, handlers, " in [log]");
  return out;
}

}  // namespace arkmq::app
