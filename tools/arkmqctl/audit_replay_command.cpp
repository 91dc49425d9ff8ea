// `arkmqctl audit replay`: re-publishes the captured payloads of publish rows to a broker, in
// seq order, keeping their original spacing scaled by --speed.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "tools/arkmqctl/audit_cli.hpp"
#include "tools/arkmqctl/audit_escape.hpp"
#include "tools/arkmqctl/audit_replay.hpp"
#include "tools/arkmqctl/audit_signals.hpp"
#include "tools/arkmqctl/password_input.hpp"

namespace arkmq::ctl {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kPageRows = 1000;

struct ReplayOptions {
  FilterOptions filter;
  ReplayTarget target;
  double speed = 1.0;
  bool password_stdin = false;
  CLI::Option* ca_option = nullptr;
  CLI::Option* cert_option = nullptr;
  CLI::Option* key_option = nullptr;
};

// QoS and retain flag from a publish row's details ({"qos":1,"retain":false,"size":..}).
ReplayMessage to_message(const storage::AuditRecord& row) {
  ReplayMessage message;
  message.topic = row.event.topic;
  message.payload = *row.event.payload;
  const auto details = nlohmann::json::parse(row.event.details, nullptr, false);
  if (details.is_object()) {
    if (const auto qos = details.find("qos"); qos != details.end() && qos->is_number_integer()) {
      message.qos = std::clamp(qos->get<int>(), 0, 2);
    }
    if (const auto retain = details.find("retain");
        retain != details.end() && retain->is_boolean()) {
      message.retain = retain->get<bool>();
    }
  }
  return message;
}

// Sleeps until `at` unless a stop signal comes first; false when stopped.
bool wait_until(StopSignals& stop, Clock::time_point at) {
  while (Clock::now() < at) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(at - Clock::now());
    if (stop.wait(std::min(left + std::chrono::milliseconds(1), std::chrono::milliseconds(200)))) {
      return false;
    }
  }
  return !stop.stopped();
}

struct ReplayProgress {
  std::size_t replayed = 0;
  std::size_t without_payload = 0;
  bool stopped = false;
  int mqtt_version = 0;
};

Outcome run_replay(const Context& ctx, ReplayOptions& o) {
  auto filter = make_filter(o.filter, storage::audit_now_us());
  if (!filter) return tl::unexpected(filter.error());
  filter->types = {storage::AuditType::publish};
  if (o.filter.limit_option->count() == 0) filter->limit = 0;  // every matching row
  // A publish the broker refused was never delivered; replay those only when asked.
  if (!filter->outcome) filter->outcome = storage::AuditOutcome::allow;
  auto server = parse_broker_url(o.target.url);
  if (!server) return usage_error(server.error());
  if (!server->tls && (o.ca_option->count() + o.cert_option->count() + o.key_option->count()) > 0) {
    return usage_error("--tls-ca, --tls-cert and --tls-key need an mqtts:// URL");
  }
  if (o.cert_option->count() != o.key_option->count()) {
    return usage_error("--tls-cert and --tls-key go together");
  }
  if (o.password_stdin) {
    if (o.target.username.empty()) return usage_error("--password-stdin needs --username");
    o.target.password = read_password_line();
  }
  if (o.target.client_id.empty())
    o.target.client_id = "arkmqctl-replay-" + std::to_string(::getpid());
  auto reader = open_journal(ctx);
  if (!reader) return tl::unexpected(reader.error());

  StopSignals stop;  // before Paho starts its threads, so they inherit the blocked signals
  std::optional<ReplayPublisher> publisher;
  ReplayProgress progress;
  std::optional<std::int64_t> first_time_us;
  Clock::time_point started;
  const std::size_t limit = filter->limit;
  std::size_t seen = 0;
  while ((limit == 0 || seen < limit) && !progress.stopped) {
    filter->limit = limit == 0 ? kPageRows : std::min(kPageRows, limit - seen);
    auto rows = reader->query(*filter);
    if (!rows) return store_error(rows.error());
    for (const auto& row : *rows) {
      if (!row.event.payload) {
        ++progress.without_payload;
        continue;
      }
      if (!publisher) {
        auto connected = ReplayPublisher::connect(o.target);
        if (!connected) return operation_error(connected.error());
        publisher.emplace(std::move(*connected));
        progress.mqtt_version = publisher->mqtt_version();
      }
      if (!first_time_us) {
        first_time_us = row.event.time_us;
        started = Clock::now();
      } else if (o.speed > 0) {
        const double offset_us = static_cast<double>(row.event.time_us - *first_time_us) / o.speed;
        const auto at = started + std::chrono::microseconds(
                                      static_cast<std::int64_t>(std::max(0.0, offset_us)));
        if (!wait_until(stop, at)) {
          progress.stopped = true;
          break;
        }
      }
      if (stop.wait(std::chrono::milliseconds(0))) {
        progress.stopped = true;
        break;
      }
      if (auto sent = publisher->publish(to_message(row)); !sent) {
        return operation_error("publish of seq " + std::to_string(row.seq) + " (topic " +
                               escape_text(row.event.topic) + ") failed: " + sent.error() + "; " +
                               std::to_string(progress.replayed) +
                               " publishes were replayed before it");
      }
      ++progress.replayed;
    }
    seen += rows->size();
    if (rows->size() < filter->limit) break;
    filter->after_seq = rows->back().seq;
  }

  const std::string missing = std::to_string(progress.without_payload) +
                              " publish rows have no captured payload; enable audit capture";
  if (progress.replayed == 0 && !progress.stopped) {
    return operation_error(
        progress.without_payload > 0
            ? "nothing replayed: " + missing
            : std::string("nothing replayed: no publish row matches the filters"));
  }
  if (progress.without_payload > 0) ctx.warn(missing);
  nlohmann::ordered_json json;
  json["replayed"] = progress.replayed;
  json["without_payload"] = progress.without_payload;
  json["stopped"] = progress.stopped;
  json["to"] = o.target.url;
  json["mqtt_version"] = progress.mqtt_version == 5 ? "5" : "3.1.1";
  if (ctx.json) {
    std::cout << dump_ascii(json, 2) << '\n';
  } else {
    std::cout << "replayed " << progress.replayed << " publishes to " << escape_text(o.target.url)
              << " (MQTT " << json["mqtt_version"].get<std::string>() << ")"
              << (progress.stopped ? ", stopped by a signal" : "") << '\n';
  }
  std::cout.flush();
  return {};
}

}  // namespace

void add_audit_replay_command(CLI::App* audit, Context& ctx) {
  auto o = std::make_shared<ReplayOptions>();
  CLI::App* replay = audit->add_subcommand(
      "replay", "Re-publish captured publishes (rows with a payload) to a broker, in order");
  replay->add_option("--to", o->target.url, "The broker: mqtt://host:port or mqtts://host:port")
      ->required();
  replay
      ->add_option("--speed", o->speed,
                   "Replay speed: 1 keeps the original spacing, 2 is twice as fast, 0 no waiting")
      ->check(CLI::NonNegativeNumber);
  add_filter_options(replay, o->filter, FilterChoice{false, true});
  o->ca_option = replay
                     ->add_option("--tls-ca", o->target.ca_file,
                                  "mqtts: CA certificates (PEM) that signed the broker's")
                     ->check(CLI::ExistingFile);
  o->cert_option =
      replay->add_option("--tls-cert", o->target.cert_file, "mqtts: client certificate (PEM)")
          ->check(CLI::ExistingFile);
  o->key_option = replay
                      ->add_option("--tls-key", o->target.key_file,
                                   "mqtts: the client certificate's private key (PEM)")
                      ->check(CLI::ExistingFile);
  replay->add_option("--username", o->target.username, "User name for CONNECT");
  replay->add_flag("--password-stdin", o->password_stdin,
                   "Read the password from the first line of stdin");
  replay->add_option("--client-id", o->target.client_id,
                     "Client id (default: arkmqctl-replay-PID)");
  ctx.on_run(replay, [&ctx, o] { return run_replay(ctx, *o); });
}

}  // namespace arkmq::ctl
