// `arkmqctl services list [--watch]`: the services a caller may use, read from the broker's
// retained `$svc/registry/S` topics over MQTT 5 (docs/protocol.md, "Discover"). The broker sends
// only the registry topics the caller's call grants cover, so the list is "what I may call".
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "tools/arkmqctl/audit_escape.hpp"
#include "tools/arkmqctl/audit_signals.hpp"
#include "tools/arkmqctl/broker_client.hpp"
#include "tools/arkmqctl/commands.hpp"
#include "tools/arkmqctl/output.hpp"

namespace arkmq::ctl {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kRegistryFilter = "$svc/registry/+";
constexpr const char* kRegistryPrefix = "$svc/registry/";

struct ListOptions {
  BrokerOptions broker;
  bool watch = false;
  int quiet_ms = 300;
  int max_wait_ms = 5000;
};

// One registry entry as the broker published it; nullopt (with a warning) when the payload is
// not a JSON object. An empty retained payload is no entry at all.
std::optional<nlohmann::json> parse_entry(const Context& ctx, const ReceivedMessage& message) {
  if (message.payload.empty()) return std::nullopt;
  auto json = nlohmann::json::parse(message.payload, nullptr, false);
  if (!json.is_object()) {
    ctx.warn("ignoring " + escape_text(message.topic) + ": its payload is not a JSON object");
    return std::nullopt;
  }
  if (!json.contains("service") || !json["service"].is_string()) {
    json["service"] = message.topic.substr(std::string(kRegistryPrefix).size());
  }
  return json;
}

std::string text_of(const nlohmann::json& value) {
  return value.is_string() ? escape_text(value.get<std::string>()) : std::string();
}

// The table's cells for one entry: SERVICE AVAILABLE NODES VERSION METHODS.
std::vector<std::string> entry_row(const nlohmann::json& entry) {
  std::size_t total = 0;
  std::size_t available = 0;
  std::vector<std::string> versions;
  if (const auto nodes = entry.find("nodes"); nodes != entry.end() && nodes->is_array()) {
    for (const auto& node : *nodes) {
      ++total;
      if (node.value("available", false)) ++available;
      const std::string version = node.contains("version") ? text_of(node["version"]) : "";
      if (!version.empty() &&
          std::find(versions.begin(), versions.end(), version) == versions.end()) {
        versions.push_back(version);
      }
    }
  }
  std::vector<std::string> methods;
  if (const auto list = entry.find("methods"); list != entry.end() && list->is_array()) {
    for (const auto& method : *list) methods.push_back(text_of(method));
  }
  return {text_of(entry["service"]), entry.value("available", false) ? "yes" : "no",
          std::to_string(available) + "/" + std::to_string(total),
          versions.empty() ? "-" : join(versions, ","),
          // No methods listed: the nodes serve any method; no nodes at all: nothing to call.
          methods.empty() ? (total == 0 ? "-" : "*") : join(methods, ",")};
}

std::string entries_table(const std::map<std::string, nlohmann::json>& entries) {
  Table table({"SERVICE", "AVAILABLE", "NODES", "VERSION", "METHODS"});
  for (const auto& [name, entry] : entries) table.add(entry_row(entry));
  return table.str();
}

nlohmann::json entries_json(const std::map<std::string, nlohmann::json>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, entry] : entries) list.push_back(entry);
  return list;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  ::gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// --watch: one line per registry change until SIGINT/SIGTERM (JSON Lines with --json).
Outcome watch_changes(const Context& ctx, BrokerClient& client, StopSignals& stop) {
  while (!stop.wait(std::chrono::milliseconds(0))) {
    if (auto message = client.next(Clock::now() + std::chrono::milliseconds(200))) {
      auto entry = parse_entry(ctx, *message);
      if (!entry) continue;
      if (ctx.json) {
        std::cout << entry->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
      } else {
        const auto row = entry_row(*entry);
        std::cout << utc_now() << ' ' << row[0] << " available=" << row[1] << " nodes=" << row[2]
                  << " version=" << row[3] << " methods=" << row[4] << '\n';
      }
      std::cout.flush();
      continue;
    }
    if (client.connection_lost()) return operation_error("the broker closed the connection");
  }
  return {};
}

Outcome run_list(const Context& ctx, const ListOptions& o) {
  // Before Paho starts its threads, so they inherit the blocked SIGINT/SIGTERM.
  std::optional<StopSignals> stop;
  if (o.watch) stop.emplace();
  auto client = BrokerClient::connect(ctx, o.broker, false);
  if (!client) return tl::unexpected(client.error());
  if (auto subscribed = client->subscribe(kRegistryFilter); !subscribed) {
    return tl::unexpected(subscribed.error());
  }
  // The broker sends a new subscription's retained messages right after its SUBACK, as one
  // burst; there is no end-of-retained marker in MQTT. So the list is complete once nothing
  // new came for a quiet period (300 ms: far above loopback and LAN gaps inside a burst, short
  // enough for an interactive command), and never waits longer than 5 s plus one quiet period,
  // however busy the registry is. --quiet-ms stretches it for a slow link.
  std::map<std::string, nlohmann::json> entries;
  const auto give_up = Clock::now() + std::chrono::milliseconds(o.max_wait_ms + o.quiet_ms);
  auto quiet_until = Clock::now() + std::chrono::milliseconds(o.quiet_ms);
  while (true) {
    auto message = client->next(std::min(quiet_until, give_up));
    if (!message) break;
    quiet_until = Clock::now() + std::chrono::milliseconds(o.quiet_ms);
    if (message->topic.rfind(kRegistryPrefix, 0) != 0) continue;
    auto entry = parse_entry(ctx, *message);
    const std::string name = message->topic.substr(std::string(kRegistryPrefix).size());
    if (entry) {
      entries[name] = std::move(*entry);
    } else {
      entries.erase(name);
    }
  }
  if (client->connection_lost()) return operation_error("the broker closed the connection");

  if (entries.empty() && !ctx.json) {
    ctx.warn("no services: none announced, or no call grant of yours covers one");
  }
  if (o.watch && ctx.json) {
    for (const auto& [name, entry] : entries) {
      std::cout << entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
    std::cout.flush();
  } else {
    ctx.emit(entries_table(entries), entries_json(entries));
  }
  if (!o.watch) return {};
  return watch_changes(ctx, *client, *stop);
}

}  // namespace

void add_services_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand(
      "services", "Services at a running broker (MQTT 5): list the ones you may call");
  group->require_subcommand(1);
  auto o = std::make_shared<ListOptions>();
  auto* list = group->add_subcommand(
      "list",
      "List the services your call grants cover, from the broker's $svc/registry/ topics: "
      "service, availability, nodes available/total, versions, methods");
  add_broker_options(list, o->broker);
  list->add_flag("--watch", o->watch,
                 "Then print each change until Ctrl-C (with --json: one JSON object per line)");
  list->add_option("--quiet-ms", o->quiet_ms,
                   "The list is complete after this long without a new entry (default 300)")
      ->check(CLI::Range(10, 60000));
  ctx.on_run(list, [&ctx, o] { return run_list(ctx, *o); });
}

}  // namespace arkmq::ctl
