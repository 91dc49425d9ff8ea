// Parses and validates arkmq-edge's TOML file; every error names FILE:LINE:COL.
#include "edge-client/edge_config.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <toml++/toml.h>

#include "broker/http/endpoint.hpp"
#include "broker/protocol/topic.hpp"
#include "edge-client/bridge_rules.hpp"

namespace arkmq::edge {
namespace {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads one table, remembering the keys it consumed so that unknown keys (typos) are errors.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string source, std::string where)
      : table_(table), source_(std::move(source)), where_(std::move(where)) {}

  [[noreturn]] void fail_at(const toml::source_region& region, const std::string& what) const {
    throw ConfigError(source_ + ":" + std::to_string(region.begin.line) + ":" +
                      std::to_string(region.begin.column) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    const toml::node* node = table_.get(key);
    fail_at(node != nullptr ? node->source() : table_.source(), where_ + key + ": " + what);
  }

  std::optional<std::string> string(const std::string& key) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) fail(key, "must be a string");
    return node->value<std::string>();
  }
  std::string required_string(const std::string& key) {
    auto value = string(key);
    if (!value) fail_at(table_.source(), where_ + key + " is required");
    if (value->empty()) fail(key, "must not be empty");
    return *value;
  }
  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) fail(key, "must be an integer");
    const auto value = *node->value<std::int64_t>();
    if (value < min || value > max) {
      fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }
  std::optional<bool> boolean(const std::string& key) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) fail(key, "must be true or false");
    return node->value<bool>();
  }
  std::vector<std::string> strings(const std::string& key) {
    seen_.insert(key);
    std::vector<std::string> out;
    const toml::node* node = table_.get(key);
    if (node == nullptr) return out;
    const toml::array* array = node->as_array();
    if (array == nullptr) fail(key, "must be an array of strings");
    for (const auto& item : *array) {
      if (!item.is_string()) fail_at(item.source(), where_ + key + ": must be an array of strings");
      out.push_back(*item.value<std::string>());
    }
    return out;
  }
  std::map<std::string, std::string> string_map(const std::string& key) {
    seen_.insert(key);
    std::map<std::string, std::string> out;
    const toml::node* node = table_.get(key);
    if (node == nullptr) return out;
    const toml::table* table = node->as_table();
    if (table == nullptr) fail(key, "must be a table of strings");
    for (const auto& [name, value] : *table) {
      if (!value.is_string()) fail_at(value.source(), where_ + key + ": values must be strings");
      out.emplace(std::string(name.str()), *value.value<std::string>());
    }
    return out;
  }
  const toml::table* subtable(const std::string& key) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) fail(key, "must be a table");
    return node->as_table();
  }
  const toml::array* table_array(const std::string& key) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_array_of_tables()) fail(key, "must be an array of tables ([[" + key + "]])");
    return node->as_array();
  }
  void reject_unknown() const {
    for (const auto& [key, value] : table_) {
      if (seen_.count(std::string(key.str())) == 0) {
        fail_at(key.source(), "unknown key " + where_ + std::string(key.str()));
      }
    }
  }
  const std::string& source() const { return source_; }

 private:
  const toml::table& table_;
  std::string source_;
  std::string where_;
  std::set<std::string> seen_;
};

ServiceConfig read_service(const toml::table& table, const std::string& source, std::size_t index) {
  TableReader r(table, source, "service[" + std::to_string(index) + "].");
  ServiceConfig s;
  s.name = r.required_string("name");
  if (!is_valid_name(s.name)) r.fail("name", "not a valid service name (no / + # *, no leading $ or %)");
  s.version = r.string("version").value_or("");
  s.description = r.string("description").value_or("");
  s.methods = r.strings("methods");
  if (s.methods.empty()) r.fail("methods", "at least one method is required");
  if (s.methods.size() > 64) r.fail("methods", "at most 64 methods");
  std::set<std::string> unique;
  for (const auto& method : s.methods) {
    if (!is_valid_name(method)) r.fail("methods", "\"" + method + "\" is not a valid method name");
    if (!unique.insert(method).second) r.fail("methods", "\"" + method + "\" is listed twice");
  }
  const std::string url = r.required_string("backend");
  auto backend = parse_backend_url(url);
  if (!backend) r.fail("backend", backend.error());
  s.backend = *backend;
  s.mqtt_topic = r.string("topic").value_or("");
  if (s.backend.kind == BackendKind::mqtt) {
    if (s.mqtt_topic.empty()) r.fail("backend", "an mqtt:// backend needs a topic");
    if (!protocol::is_valid_topic_name(s.mqtt_topic)) r.fail("topic", "not a valid topic name");
  } else if (!s.mqtt_topic.empty()) {
    r.fail("topic", "only mqtt:// backends take a topic");
  }
  if (auto v = r.integer("timeout_ms", 1, 60'000)) s.timeout = std::chrono::milliseconds(*v);
  s.health_path = r.string("health_path").value_or("");
  if (!s.health_path.empty()) {
    if (s.backend.kind != BackendKind::http) r.fail("health_path", "only http:// backends take a health_path");
    if (s.health_path.front() != '/') r.fail("health_path", "must start with /");
  }
  if (auto v = r.integer("health_interval_ms", 100, 3'600'000)) {
    s.health_interval = std::chrono::milliseconds(*v);
  }
  r.reject_unknown();
  return s;
}

BridgeRule read_bridge(const toml::table& table, const std::string& source, std::size_t index) {
  TableReader r(table, source, "bridge[" + std::to_string(index) + "].");
  BridgeRule rule;
  const std::string direction = r.required_string("direction");
  if (direction == "out") {
    rule.direction = BridgeDirection::out;
  } else if (direction == "in") {
    rule.direction = BridgeDirection::in;
  } else {
    r.fail("direction", "must be \"out\" (local -> cloud) or \"in\" (cloud -> local)");
  }
  rule.local = r.required_string("local");
  rule.cloud = r.required_string("cloud");
  if (!protocol::is_valid_topic_filter(rule.local)) r.fail("local", "not a valid topic filter");
  if (!protocol::is_valid_topic_filter(rule.cloud)) r.fail("cloud", "not a valid topic filter");
  if (rule.local.front() == '$' || rule.cloud.front() == '$') {
    r.fail("local", "bridge rules cannot use $-topics (the $svc/ namespace is the service link's)");
  }
  if (auto why = check_bridge_rule(rule)) r.fail("cloud", *why);
  r.reject_unknown();
  return rule;
}

EdgeConfig read_root(const toml::table& root, const std::string& source) {
  TableReader r(root, source, "");
  EdgeConfig config;
  const toml::table* node = r.subtable("node");
  if (node == nullptr) r.fail_at(root.source(), "[node] is required");
  {
    TableReader n(*node, source, "node.");
    config.node = n.required_string("name");
    if (!is_valid_name(config.node)) n.fail("name", "not a valid node name (no / + # *, no leading $ or %)");
    config.labels = n.string_map("labels");
    if (auto v = n.integer("heartbeat_s", 1, 3600)) config.heartbeat = std::chrono::seconds(*v);
    if (auto v = n.boolean("loop_prevention")) config.loop_prevention = *v;
    if (auto v = n.integer("max_hops", 1, 16)) config.max_hops = static_cast<int>(*v);
    if (auto v = n.integer("call_workers", 1, 64)) config.call_workers = static_cast<int>(*v);
    n.reject_unknown();
  }
  const toml::table* cloud = r.subtable("cloud");
  if (cloud == nullptr) r.fail_at(root.source(), "[cloud] is required");
  {
    TableReader c(*cloud, source, "cloud.");
    auto url = paho_broker_url(c.required_string("url"));
    if (!url) c.fail("url", url.error());
    config.cloud.url = *url;
    config.cloud.ca = c.string("ca").value_or("");
    config.cloud.cert = c.string("cert").value_or("");
    config.cloud.key = c.string("key").value_or("");
    config.cloud.client_id = c.string("client_id").value_or(config.node);
    if (config.cloud.cert.empty() != config.cloud.key.empty()) c.fail("cert", "cert and key go together");
    if (config.cloud.url.rfind("ssl://", 0) == 0 && config.cloud.ca.empty()) {
      c.fail("ca", "a TLS cloud url needs ca (the cloud broker's CA certificate)");
    }
    if (config.cloud.url.rfind("tcp://", 0) == 0 && !config.cloud.cert.empty()) {
      c.fail("cert", "a certificate needs a TLS url (mqtts://)");
    }
    if (auto v = c.integer("keep_alive_s", 5, 3600)) config.cloud.keep_alive = std::chrono::seconds(*v);
    if (auto v = c.integer("reconnect_min_ms", 10, 600'000)) config.cloud.reconnect_min = std::chrono::milliseconds(*v);
    if (auto v = c.integer("reconnect_max_ms", 10, 3'600'000)) config.cloud.reconnect_max = std::chrono::milliseconds(*v);
    if (config.cloud.reconnect_max < config.cloud.reconnect_min) {
      c.fail("reconnect_max_ms", "must not be below reconnect_min_ms");
    }
    c.reject_unknown();
  }
  config.local.client_id = "arkmq-edge-" + config.node;
  if (const toml::table* local = r.subtable("local")) {
    TableReader l(*local, source, "local.");
    if (auto v = l.string("url")) {
      auto url = paho_broker_url(*v);
      if (!url) l.fail("url", url.error());
      if (url->rfind("tcp://", 0) != 0) l.fail("url", "the site broker link is plain mqtt:// (loopback)");
      config.local.url = *url;
    }
    if (auto v = l.string("client_id")) config.local.client_id = *v;
    if (auto v = l.string("status_topic")) {
      if (!protocol::is_valid_topic_name(*v) || v->front() == '$') l.fail("status_topic", "not a valid topic name");
      config.local.status_topic = *v;
    }
    l.reject_unknown();
  }
  if (const toml::table* outbox = r.subtable("outbox")) {
    TableReader o(*outbox, source, "outbox.");
    if (auto v = o.string("path")) config.outbox.path = *v;
    if (auto v = o.integer("max_messages", 1, 100'000'000)) config.outbox.max_messages = *v;
    if (auto v = o.integer("max_bytes", 1024, std::int64_t{1} << 40)) config.outbox.max_bytes = *v;
    o.reject_unknown();
  }
  if (const toml::table* metrics = r.subtable("metrics")) {
    TableReader m(*metrics, source, "metrics.");
    if (auto v = m.boolean("allow_non_loopback")) config.metrics.allow_non_loopback = *v;
    if (auto v = m.string("listen"); v && !v->empty()) {
      // The endpoint's own check (URL form, loopback unless allowed); nothing is bound here.
      auto endpoint = http::Endpoint::create({*v, config.metrics.allow_non_loopback, nullptr});
      if (!endpoint) m.fail("listen", endpoint.error());
      config.metrics.listen = *v;
    }
    m.reject_unknown();
  }
  std::set<std::string> names;
  if (const toml::array* services = r.table_array("service")) {
    for (std::size_t i = 0; i < services->size(); ++i) {
      const toml::table& table = *services->get(i)->as_table();
      auto service = read_service(table, source, i);
      if (!names.insert(service.name).second) {
        TableReader(table, source, "service[" + std::to_string(i) + "].")
            .fail("name", "service \"" + service.name + "\" is defined twice");
      }
      config.services.push_back(std::move(service));
    }
  }
  if (const toml::array* bridges = r.table_array("bridge")) {
    for (std::size_t i = 0; i < bridges->size(); ++i) {
      config.bridges.push_back(read_bridge(*bridges->get(i)->as_table(), source, i));
    }
  }
  r.reject_unknown();
  return config;
}

}  // namespace

bool is_valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  if (name.front() == '$' || name.front() == '%') return false;
  if (!protocol::is_valid_utf8(name)) return false;
  return name.find_first_of("/+#*") == std::string::npos;
}

tl::expected<BackendUrl, std::string> parse_backend_url(const std::string& url) {
  BackendUrl out;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    out.kind = BackendKind::http;
    rest = url.substr(7);
  } else if (url.rfind("tcp://", 0) == 0) {
    out.kind = BackendKind::tcp;
    rest = url.substr(6);
  } else if (url.rfind("mqtt://", 0) == 0) {
    out.kind = BackendKind::mqtt;
    rest = url.substr(7);
  } else {
    return tl::make_unexpected("backend must be http://HOST:PORT/PATH, tcp://HOST:PORT or mqtt://HOST:PORT");
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "" : rest.substr(slash);
  if (out.kind != BackendKind::http && !out.path.empty() && out.path != "/") {
    return tl::make_unexpected("only http:// backends take a path");
  }
  if (out.kind != BackendKind::http) out.path.clear();
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos || colon == 0) return tl::make_unexpected("backend needs HOST:PORT");
  out.host = authority.substr(0, colon);
  const std::string port = authority.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return tl::make_unexpected("backend port must be a number");
  }
  const int value = std::stoi(port);
  if (value < 1 || value > 65535) return tl::make_unexpected("backend port must be 1-65535");
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

tl::expected<std::string, std::string> paho_broker_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return tl::make_unexpected("url needs a scheme (mqtt:// or mqtts://)");
  const std::string scheme = url.substr(0, scheme_end);
  const std::string rest = url.substr(scheme_end + 3);
  if (rest.empty() || rest.find(':') == std::string::npos) return tl::make_unexpected("url needs HOST:PORT");
  if (scheme == "mqtt" || scheme == "tcp") return "tcp://" + rest;
  if (scheme == "mqtts" || scheme == "ssl") return "ssl://" + rest;
  return tl::make_unexpected("url scheme must be mqtt:// or mqtts://");
}

ConfigResult parse_config_text(const std::string& text, const std::string& source_name) {
  try {
    toml::table root = toml::parse(text, source_name);
    return read_root(root, source_name);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    return tl::make_unexpected(source_name + ":" + std::to_string(begin.line) + ":" +
                               std::to_string(begin.column) + ": " + std::string(error.description()));
  } catch (const ConfigError& error) {
    return tl::make_unexpected(std::string(error.what()));
  }
}

ConfigResult load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return tl::make_unexpected(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config_text(text.str(), path);
}

std::string config_summary(const EdgeConfig& config) {
  return "config OK: node " + config.node + ", " + std::to_string(config.services.size()) +
         " services, " + std::to_string(config.bridges.size()) + " bridge rules";
}

}  // namespace arkmq::edge
